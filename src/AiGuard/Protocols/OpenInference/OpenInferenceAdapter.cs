using System.Text.Json;
using AiGuard.Pipeline;
using AiGuard.Protocols.Json;
using Microsoft.AspNetCore.Http;

namespace AiGuard.Protocols.OpenInference;

/// <summary>KServe / Triton Open Inference Protocol v2 (REST).</summary>
public sealed class OpenInferenceAdapter : IProtocolAdapter
{
    public const string Infer = "infer";
    public const string ModelMetadata = "model.metadata";
    public const string ModelReady = "model.ready";
    public const string ServerMetadata = "server.metadata";
    public const string ServerHealth = "server.health";

    public string Name => ProtocolNames.OpenInferenceV2;

    public ProtocolOperation? Match(string method, string path)
    {
        var segments = path.Trim('/').Split('/');
        if (segments.Length == 0 || segments[0] != "v2")
        {
            return null;
        }

        var isGet = HttpMethods.IsGet(method);
        var isPost = HttpMethods.IsPost(method);
        switch (segments.Length)
        {
            case 1 when isGet:
                return new ProtocolOperation(ServerMetadata, HasBody: false);
            case 3 when isGet && segments[1] == "health" && segments[2] is "live" or "ready":
                return new ProtocolOperation(ServerHealth, HasBody: false);
        }

        if (segments.Length < 3 || segments[1] != "models" || segments[2].Length == 0)
        {
            return null;
        }

        var model = Uri.UnescapeDataString(segments[2]);
        string? version = null;
        var rest = segments.AsSpan(3);
        if (rest.Length >= 2 && rest[0] == "versions")
        {
            version = Uri.UnescapeDataString(rest[1]);
            rest = rest[2..];
        }

        return rest switch
        {
            [] when isGet => new ProtocolOperation(ModelMetadata, HasBody: false, model, version),
            ["ready"] when isGet => new ProtocolOperation(ModelReady, HasBody: false, model, version),
            ["infer"] when isPost => new ProtocolOperation(Infer, HasBody: true, model, version),
            _ => null,
        };
    }

    public InferenceRequest ParseRequest(ProtocolOperation operation, JsonElement? body)
    {
        if (operation.Name != Infer)
        {
            return new InferenceRequest { Protocol = Name, Operation = operation.Name, Model = operation.ModelFromPath, ModelVersion = operation.VersionFromPath };
        }

        var root = JsonFields.RequireObject(body ?? default, string.Empty);
        var inputs = JsonFields.RequireArray(root, "inputs", "inputs");
        if (inputs.GetArrayLength() == 0)
        {
            throw new ProtocolViolationException("inputs", "'inputs' must contain at least one tensor.");
        }

        var tensors = new List<InferenceInput>(inputs.GetArrayLength());
        var names = new HashSet<string>(StringComparer.Ordinal);
        var index = 0;
        foreach (var input in inputs.EnumerateArray())
        {
            var tensor = ReadTensor(input, $"inputs[{index}]");
            if (!names.Add(tensor.Name))
            {
                throw new ProtocolViolationException($"inputs[{index}].name", $"'inputs[{index}].name' repeats the input name '{tensor.Name}'.");
            }

            tensors.Add(tensor);
            index++;
        }

        if (JsonFields.Optional(root, "outputs") is { } outputs && outputs.ValueKind != JsonValueKind.Array)
        {
            throw new ProtocolViolationException("outputs", $"'outputs' must be an array, not {JsonFields.Describe(outputs)}.");
        }

        return new InferenceRequest
        {
            Protocol = Name,
            Operation = operation.Name,
            Model = operation.ModelFromPath,
            ModelVersion = operation.VersionFromPath,
            Inputs = tensors,
        };
    }

    public InferenceResponse ParseResponse(ProtocolOperation operation, JsonElement body)
    {
        var scores = new List<float[]>();
        if (body.ValueKind == JsonValueKind.Object && body.TryGetProperty("outputs", out var outputs) && outputs.ValueKind == JsonValueKind.Array)
        {
            foreach (var output in outputs.EnumerateArray())
            {
                if (output.ValueKind != JsonValueKind.Object
                    || !output.TryGetProperty("data", out var data)
                    || !output.TryGetProperty("datatype", out var dt) || dt.ValueKind != JsonValueKind.String
                    || dt.GetString() is not ("FP32" or "FP64" or "FP16"))
                {
                    continue;
                }

                var (values, _, inferred) = TensorData.Flatten(data, dt.GetString()!, "outputs.data");
                var shape = output.TryGetProperty("shape", out var s) ? ReadShape(s, "outputs.shape") : inferred;
                scores.AddRange(Rows(values, shape));
            }
        }

        return new InferenceResponse
        {
            Protocol = Name,
            Model = body.ValueKind == JsonValueKind.Object && body.TryGetProperty("model_name", out var m) && m.ValueKind == JsonValueKind.String ? m.GetString() : null,
            Scores = scores,
        };
    }

    /// <summary>Splits flat row-major values into rows along the first dimension.</summary>
    internal static IEnumerable<float[]> Rows(List<double> values, long[] shape)
    {
        if (values.Count == 0)
        {
            yield break;
        }

        var rows = shape.Length >= 2 ? shape[0] : 1;
        var width = rows > 0 ? values.Count / rows : values.Count;
        if (width == 0 || rows * width != values.Count)
        {
            yield break;
        }

        for (var r = 0; r < rows; r++)
        {
            var row = new float[width];
            for (var c = 0; c < width; c++)
            {
                row[c] = (float)values[(int)((r * width) + c)];
            }

            yield return row;
        }
    }

    private static TensorInput ReadTensor(JsonElement input, string field)
    {
        JsonFields.RequireObject(input, field);
        var name = JsonFields.RequireString(input, "name", field + ".name");
        var dataType = JsonFields.RequireString(input, "datatype", field + ".datatype");
        if (!TensorData.DataTypes.Contains(dataType))
        {
            throw new ProtocolViolationException(field + ".datatype", $"'{field}.datatype' '{dataType}' is not an Open Inference Protocol datatype.");
        }

        var shape = ReadShape(JsonFields.RequireArray(input, "shape", field + ".shape"), field + ".shape");
        var data = JsonFields.Require(input, "data", field + ".data");
        if (data.ValueKind != JsonValueKind.Array)
        {
            throw new ProtocolViolationException(field + ".data", $"'{field}.data' must be an array, not {JsonFields.Describe(data)}.");
        }

        var (numbers, strings, _) = TensorData.Flatten(data, dataType, field + ".data");
        var tensor = new TensorInput(field, name, shape, dataType, numbers.ToArray(), strings.ToArray());
        var count = numbers.Count + strings.Count;
        if (tensor.ElementCount != count)
        {
            throw new ProtocolViolationException(
                field + ".shape",
                $"'{field}.shape' [{string.Join(", ", shape)}] holds {tensor.ElementCount} elements but '{field}.data' has {count}.",
                ProblemCodes.TensorShapeMismatch);
        }

        return tensor;
    }

    private static long[] ReadShape(JsonElement shape, string field)
    {
        if (shape.ValueKind != JsonValueKind.Array)
        {
            throw new ProtocolViolationException(field, $"'{field}' must be an array of non-negative integers.");
        }

        var dims = new long[shape.GetArrayLength()];
        var i = 0;
        foreach (var dim in shape.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out var value) || value < 0)
            {
                throw new ProtocolViolationException($"{field}[{i}]", $"'{field}[{i}]' must be a non-negative integer.");
            }

            dims[i++] = value;
        }

        return dims;
    }
}
