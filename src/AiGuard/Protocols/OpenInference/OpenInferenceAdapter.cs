using System.Text.Json;
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

    private static readonly ProtocolOperation ServerMetadataOperation = new(ServerMetadata, HasBody: false);
    private static readonly ProtocolOperation ServerHealthOperation = new(ServerHealth, HasBody: false);

    public string Name => ProtocolNames.OpenInferenceV2;

    public ProtocolOperation? Match(string method, string path)
    {
        // At most /v2/models/{name}/versions/{version}/infer: seven segments are enough to tell.
        var trimmed = path.AsSpan().Trim('/');
        Span<Range> ranges = stackalloc Range[8];
        var count = trimmed.Split(ranges, '/');
        if (count == 0 || !trimmed[ranges[0]].SequenceEqual("v2"))
        {
            return null;
        }

        var isGet = HttpMethods.IsGet(method);
        var isPost = HttpMethods.IsPost(method);
        switch (count)
        {
            case 1 when isGet:
                return ServerMetadataOperation;
            case 3 when isGet && trimmed[ranges[1]].SequenceEqual("health") && trimmed[ranges[2]] is "live" or "ready":
                return ServerHealthOperation;
        }

        if (count < 3 || count > 6 || !trimmed[ranges[1]].SequenceEqual("models") || trimmed[ranges[2]].IsEmpty)
        {
            return null;
        }

        var model = trimmed[ranges[2]].ToString();
        string? version = null;
        var rest = 3;
        if (count - rest >= 2 && trimmed[ranges[rest]].SequenceEqual("versions"))
        {
            version = trimmed[ranges[rest + 1]].ToString();
            rest += 2;
        }

        switch (count - rest)
        {
            case 0:
                return isGet ? new ProtocolOperation(ModelMetadata, HasBody: false, model, version) : null;
            case 1 when trimmed[ranges[rest]].SequenceEqual("ready"):
                return isGet ? new ProtocolOperation(ModelReady, HasBody: false, model, version) : null;
            case 1 when trimmed[ranges[rest]].SequenceEqual("infer"):
                return isPost ? new ProtocolOperation(Infer, HasBody: true, model, version, HasInferenceResponse: true) : null;
            default:
                return null;
        }
    }

    public InferenceRequest ParseRequest(ProtocolOperation operation, ReadOnlySpan<byte> body, JsonReadLimits limits)
    {
        if (operation.Name != Infer)
        {
            return new InferenceRequest { Protocol = Name, Operation = operation.Name, Model = operation.ModelFromPath, ModelVersion = operation.VersionFromPath };
        }

        var reader = new JsonBodyReader(body, limits);
        reader.ReadRootObject();
        var names = default(PropertyNames);
        List<InferenceInput>? tensors = null;
        while (reader.NextProperty(ref names, string.Empty, out var name))
        {
            if (name.SequenceEqual("inputs"u8))
            {
                tensors = reader.TokenType == JsonTokenType.Null ? null : ReadInputs(ref reader);
            }
            else if (name.SequenceEqual("outputs"u8) && reader.TokenType is not (JsonTokenType.StartArray or JsonTokenType.Null))
            {
                throw new ProtocolViolationException("outputs", $"'outputs' must be an array, not {reader.Describe()}.");
            }
            else if (name.SequenceEqual("id"u8) && reader.TokenType is not (JsonTokenType.String or JsonTokenType.Null))
            {
                throw new ProtocolViolationException("id", $"'id' must be a string, not {reader.Describe()}.");
            }
            else
            {
                reader.SkipValue();
            }
        }

        reader.ReadEnd();
        return new InferenceRequest
        {
            Protocol = Name,
            Operation = operation.Name,
            Model = operation.ModelFromPath,
            ModelVersion = operation.VersionFromPath,
            Inputs = tensors ?? throw new ProtocolViolationException("inputs", "'inputs' is required."),
        };
    }

    public InferenceResponse ParseResponse(ProtocolOperation operation, ReadOnlySpan<byte> body)
    {
        var reader = new JsonBodyReader(body, JsonReadLimits.Upstream);
        reader.ReadRootObject();
        var names = default(PropertyNames);
        string? model = null;
        var outputs = new List<OutputTensor>(1);
        while (reader.NextProperty(ref names, string.Empty, out var name))
        {
            if (name.SequenceEqual("model_name"u8) && reader.TokenType == JsonTokenType.String)
            {
                model = reader.GetString("model_name");
            }
            else if (name.SequenceEqual("outputs"u8) && reader.TokenType == JsonTokenType.StartArray)
            {
                reader.Next();
                while (reader.TokenType != JsonTokenType.EndArray)
                {
                    if (ReadOutput(ref reader) is { } output)
                    {
                        outputs.Add(output);
                    }

                    reader.Next();
                }
            }
            else
            {
                reader.SkipValue();
            }
        }

        reader.ReadEnd();
        return new InferenceResponse { Protocol = Name, Model = model, Outputs = outputs };
    }

    private static List<InferenceInput> ReadInputs(ref JsonBodyReader reader)
    {
        reader.Expect(JsonTokenType.StartArray, "inputs");
        var tensors = new List<InferenceInput>(1);
        reader.Next();
        while (reader.TokenType != JsonTokenType.EndArray)
        {
            var index = tensors.Count;
            var tensor = ReadTensor(ref reader, FieldNames.Input(index));
            if (Repeats(tensors, tensor.Name))
            {
                throw new ProtocolViolationException($"inputs[{index}].name", $"'inputs[{index}].name' repeats the input name '{Pipeline.Excerpt.Scrubbed(tensor.Name)}'.");
            }

            tensors.Add(tensor);
            reader.Next();
        }

        if (tensors.Count == 0)
        {
            throw new ProtocolViolationException("inputs", "'inputs' must contain at least one tensor.");
        }

        return tensors;
    }

    /// <summary>The datatype as one of the shared names (no string per answer), or as read when it is unusual.</summary>
    private static string DataTypeName(ref JsonBodyReader reader, string field)
    {
        foreach (var known in TensorCollector.DataTypeNames)
        {
            if (reader.ValueTextEquals(known))
            {
                return known;
            }
        }

        return reader.GetString(field);
    }

    private static bool Repeats(List<InferenceInput> tensors, string name)
    {
        foreach (var earlier in tensors)
        {
            if (((TensorInput)earlier).Name == name)
            {
                return true;
            }
        }

        return false;
    }

    private static TensorInput ReadTensor(ref JsonBodyReader reader, TensorFields fields)
    {
        var field = fields.Field;
        reader.Expect(JsonTokenType.StartObject, field);
        var names = default(PropertyNames);
        string? name = null;
        string? dataType = null;
        long[]? shape = null;
        TensorCollector? data = null;
        while (reader.NextProperty(ref names, field, out var property))
        {
            if (property.SequenceEqual("name"u8))
            {
                name = reader.GetString(fields.Name);
            }
            else if (property.SequenceEqual("datatype"u8))
            {
                dataType = reader.TokenType == JsonTokenType.String ? DataTypeName(ref reader, fields.DataType) : reader.GetString(fields.DataType);
                if (!TensorCollector.DataTypes.Contains(dataType))
                {
                    throw new ProtocolViolationException(fields.DataType, $"'{field}.datatype' '{Pipeline.Excerpt.Scrubbed(dataType)}' is not an Open Inference Protocol datatype.");
                }
            }
            else if (property.SequenceEqual("shape"u8))
            {
                shape = ReadShape(ref reader, fields.Shape);
            }
            else if (property.SequenceEqual("data"u8))
            {
                reader.Expect(JsonTokenType.StartArray, fields.Data);
                data = new TensorCollector(fields.Data, allowB64: false, Capacity(shape));
                data.Read(ref reader, 0);
            }
            else
            {
                reader.SkipValue();
            }
        }

        if (name is null)
        {
            throw new ProtocolViolationException(fields.Name, $"'{field}.name' is required.");
        }

        if (dataType is null)
        {
            throw new ProtocolViolationException(fields.DataType, $"'{field}.datatype' is required.");
        }

        if (shape is null)
        {
            throw new ProtocolViolationException(fields.Shape, $"'{field}.shape' is required.");
        }

        if (data is null)
        {
            throw new ProtocolViolationException(fields.Data, $"'{field}.data' is required.");
        }

        return data.Build(field, name, dataType, shape);
    }

    private static long[] ReadShape(ref JsonBodyReader reader, string field)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new ProtocolViolationException(field, $"'{field}' must be an array of non-negative integers.");
        }

        var dims = new List<long>(2);
        reader.Next();
        while (reader.TokenType != JsonTokenType.EndArray)
        {
            if (!reader.TryGetInt64(out var value) || value < 0)
            {
                // The field name is built only for the message. A number that is no 64-bit integer gets GetInt64's message.
                var dimField = FieldNames.Index(field, dims.Count);
                if (reader.TokenType == JsonTokenType.Number && value >= 0)
                {
                    reader.GetInt64(dimField);
                }

                throw new ProtocolViolationException(dimField, $"'{dimField}' must be a non-negative integer.");
            }

            dims.Add(value);
            reader.Next();
        }

        return [.. dims];
    }

    private static int Capacity(long[]? shape)
    {
        if (shape is null)
        {
            return 16;
        }

        long count = 1;
        foreach (var dim in shape)
        {
            count = Math.Min(count * Math.Max(dim, 1), 1 << 20);
        }

        return (int)count;
    }

    private static OutputTensor? ReadOutput(ref JsonBodyReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            reader.SkipValue();
            return null;
        }

        var names = default(PropertyNames);
        string? name = null;
        string? dataType = null;
        long[]? shape = null;
        OutputReader? data = null;
        while (reader.NextProperty(ref names, "outputs", out var property))
        {
            if (property.SequenceEqual("name"u8) && reader.TokenType == JsonTokenType.String)
            {
                name = reader.GetString("outputs.name");
            }
            else if (property.SequenceEqual("datatype"u8) && reader.TokenType == JsonTokenType.String)
            {
                dataType = DataTypeName(ref reader, "outputs.datatype");
            }
            else if (property.SequenceEqual("shape"u8) && reader.TokenType == JsonTokenType.StartArray)
            {
                shape = ReadShape(ref reader, "outputs.shape");
            }
            else if (property.SequenceEqual("data"u8) && reader.TokenType == JsonTokenType.StartArray)
            {
                data = new OutputReader();
                data.Read(ref reader);
            }
            else
            {
                reader.SkipValue();
            }
        }

        return dataType is null or "BYTES" ? null : data?.Build(name ?? string.Empty, dataType, shape);
    }
}
