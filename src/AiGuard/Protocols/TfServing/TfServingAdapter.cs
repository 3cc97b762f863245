using System.Text.Json;
using AiGuard.Protocols.Json;
using Microsoft.AspNetCore.Http;

namespace AiGuard.Protocols.TfServing;

/// <summary>TensorFlow Serving style REST API: <c>:predict</c> with <c>instances</c> (row) or <c>inputs</c> (columnar).</summary>
public sealed class TfServingAdapter : IProtocolAdapter
{
    public const string Predict = "predict";
    public const string ModelStatus = "model.status";
    public const string ModelMetadata = "model.metadata";

    private const string Prefix = "/v1/models/";

    public string Name => ProtocolNames.TfServing;

    public ProtocolOperation? Match(string method, string path)
    {
        var trimmed = path.TrimEnd('/');
        if (!trimmed.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = trimmed[Prefix.Length..];
        var isPredict = false;
        var colon = rest.LastIndexOf(':');
        if (colon >= 0)
        {
            if (rest[(colon + 1)..] != "predict")
            {
                return null;
            }

            isPredict = true;
            rest = rest[..colon];
        }

        var segments = rest.Split('/');
        var metadata = !isPredict && segments.Length > 1 && segments[^1] == "metadata";
        if (metadata)
        {
            segments = segments[..^1];
        }

        if (segments[0].Length == 0)
        {
            return null;
        }

        var model = Uri.UnescapeDataString(segments[0]);
        string? version = null;
        if (segments.Length == 3 && segments[1] is "versions" or "labels")
        {
            version = Uri.UnescapeDataString(segments[2]);
        }
        else if (segments.Length != 1)
        {
            return null;
        }

        var isGet = HttpMethods.IsGet(method);
        var isPost = HttpMethods.IsPost(method);
        if (isPredict)
        {
            return isPost ? new ProtocolOperation(Predict, HasBody: true, model, version) : null;
        }

        if (!isGet)
        {
            return null;
        }

        return new ProtocolOperation(metadata ? ModelMetadata : ModelStatus, HasBody: false, model, version);
    }

    public InferenceRequest ParseRequest(ProtocolOperation operation, JsonElement? body)
    {
        if (operation.Name != Predict)
        {
            return new InferenceRequest { Protocol = Name, Operation = operation.Name, Model = operation.ModelFromPath, ModelVersion = operation.VersionFromPath };
        }

        var root = JsonFields.RequireObject(body ?? default, string.Empty);
        JsonFields.OptionalString(root, "signature_name", "signature_name");
        var instances = JsonFields.Optional(root, "instances");
        var columns = JsonFields.Optional(root, "inputs");
        if (instances is null == columns is null)
        {
            throw new ProtocolViolationException(
                instances is null ? "instances" : "inputs",
                "Exactly one of 'instances' (row format) or 'inputs' (columnar format) is required.");
        }

        var tensors = instances is { } rows ? ReadRows(rows) : ReadColumns(columns!.Value);
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
        if (body.ValueKind == JsonValueKind.Object
            && (body.TryGetProperty("predictions", out var predictions) || body.TryGetProperty("outputs", out predictions))
            && predictions.ValueKind == JsonValueKind.Array)
        {
            foreach (var prediction in predictions.EnumerateArray())
            {
                if (prediction.ValueKind == JsonValueKind.Array)
                {
                    var (values, _, _) = TensorData.Flatten(prediction, "FP64", "predictions");
                    scores.Add(values.Select(v => (float)v).ToArray());
                }
                else if (prediction.ValueKind == JsonValueKind.Number)
                {
                    scores.Add([(float)prediction.GetDouble()]);
                }
            }
        }

        return new InferenceResponse { Protocol = Name, Scores = scores };
    }

    private static List<InferenceInput> ReadRows(JsonElement rows)
    {
        if (rows.ValueKind != JsonValueKind.Array || rows.GetArrayLength() == 0)
        {
            throw new ProtocolViolationException("instances", "'instances' must be a non-empty array of rows.");
        }

        var first = rows[0];
        if (first.ValueKind != JsonValueKind.Object || first.TryGetProperty("b64", out _))
        {
            return [Tensor(rows, "instances", "instances")];
        }

        // Named inputs per row: gather each name into its own tensor, rows stacked on the first dimension.
        var names = first.EnumerateObject().Select(p => p.Name).ToArray();
        var index = 0;
        foreach (var row in rows.EnumerateArray())
        {
            var field = $"instances[{index}]";
            JsonFields.RequireObject(row, field);
            var rowNames = row.EnumerateObject().Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
            if (!rowNames.SetEquals(names))
            {
                throw new ProtocolViolationException(field, $"'{field}' names inputs {{{string.Join(", ", rowNames)}}} but the first instance names {{{string.Join(", ", names)}}}.");
            }

            index++;
        }

        var tensors = new List<InferenceInput>(names.Length);
        foreach (var name in names)
        {
            var stacked = JsonSerializer.SerializeToElement(rows.EnumerateArray().Select(r => r.GetProperty(name)));
            tensors.Add(Tensor(stacked, $"instances[*].{name}", name));
        }

        return tensors;
    }

    private static List<InferenceInput> ReadColumns(JsonElement columns)
    {
        if (columns.ValueKind != JsonValueKind.Object)
        {
            return [Tensor(columns, "inputs", "inputs")];
        }

        var tensors = new List<InferenceInput>();
        foreach (var column in columns.EnumerateObject())
        {
            tensors.Add(Tensor(column.Value, $"inputs.{column.Name}", column.Name));
        }

        if (tensors.Count == 0)
        {
            throw new ProtocolViolationException("inputs", "'inputs' names no input.");
        }

        return tensors;
    }

    private static TensorInput Tensor(JsonElement data, string field, string name)
    {
        var dataType = GuessDataType(data, field);
        var (numbers, strings, shape) = TensorData.Flatten(Unwrap(data), dataType, field);
        return new TensorInput(field, name, shape, dataType, numbers.ToArray(), strings.ToArray());
    }

    private static string GuessDataType(JsonElement data, string field)
    {
        var leaf = FirstLeaf(data);
        return leaf.ValueKind switch
        {
            JsonValueKind.Number or JsonValueKind.Array => "FP64",
            JsonValueKind.True or JsonValueKind.False => "BOOL",
            JsonValueKind.String => "BYTES",
            JsonValueKind.Object when leaf.TryGetProperty("b64", out var b) && b.ValueKind == JsonValueKind.String => "BYTES",
            _ => throw new ProtocolViolationException(field, $"'{field}' must hold numbers, booleans, strings or {{\"b64\": ...}} values, not {JsonFields.Describe(leaf)}."),
        };
    }

    // Binary values arrive as {"b64": "..."}; the guards see the base64 text as a string.
    private static JsonElement Unwrap(JsonElement data)
    {
        if (data.ValueKind == JsonValueKind.Object && data.TryGetProperty("b64", out var b64))
        {
            return b64;
        }

        if (data.ValueKind != JsonValueKind.Array || !ContainsB64(data))
        {
            return data;
        }

        return JsonSerializer.SerializeToElement(data.EnumerateArray().Select(Unwrap));
    }

    private static bool ContainsB64(JsonElement data)
    {
        return FirstLeaf(data).ValueKind == JsonValueKind.Object;
    }

    // The first scalar (or empty array) in row-major order; tensors are homogeneous, so it tells the type.
    private static JsonElement FirstLeaf(JsonElement data)
    {
        while (data.ValueKind == JsonValueKind.Array && data.GetArrayLength() > 0)
        {
            data = data[0];
        }

        return data;
    }
}
