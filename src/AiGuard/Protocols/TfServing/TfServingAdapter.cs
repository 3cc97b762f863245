using System.Text.Json;
using AiGuard.Protocols.Json;
using Microsoft.AspNetCore.Http;

namespace AiGuard.Protocols.TfServing;

/// <summary>TF-Serving style REST API: <c>POST /v1/models/{model}[/versions/{v}|/labels/{l}]:predict</c>.</summary>
public sealed class TfServingAdapter : IProtocolAdapter
{
    public const string Predict = "predict";
    public const string ModelStatus = "model.status";
    public const string ModelMetadata = "model.metadata";

    private const string Prefix = "/v1/models/";

    public string Name => ProtocolNames.TfServing;

    public ProtocolOperation? Match(string method, string path)
    {
        var trimmed = path.AsSpan().TrimEnd('/');
        if (!trimmed.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }

        var rest = trimmed[Prefix.Length..];
        var isPredict = false;
        var colon = rest.LastIndexOf(':');
        if (colon >= 0)
        {
            if (!rest[(colon + 1)..].SequenceEqual("predict"))
            {
                return null;
            }

            isPredict = true;
            rest = rest[..colon];
        }

        // {model}, {model}/versions/{v}, {model}/labels/{l}, each optionally followed by /metadata.
        Span<Range> ranges = stackalloc Range[5];
        var count = rest.Split(ranges, '/');
        var metadata = !isPredict && count > 1 && rest[ranges[count - 1]].SequenceEqual("metadata");
        if (metadata)
        {
            count--;
        }

        if (count == 0 || rest[ranges[0]].IsEmpty || count > 3)
        {
            return null;
        }

        string? version = null;
        if (count == 3 && rest[ranges[1]] is "versions" or "labels")
        {
            version = rest[ranges[2]].ToString();
        }
        else if (count != 1)
        {
            return null;
        }

        var model = rest[ranges[0]].ToString();
        if (isPredict)
        {
            return HttpMethods.IsPost(method) ? new ProtocolOperation(Predict, HasBody: true, model, version, HasInferenceResponse: true) : null;
        }

        return HttpMethods.IsGet(method) ? new ProtocolOperation(metadata ? ModelMetadata : ModelStatus, HasBody: false, model, version) : null;
    }

    public InferenceRequest ParseRequest(ProtocolOperation operation, ReadOnlySpan<byte> body, JsonReadLimits limits)
    {
        if (operation.Name != Predict)
        {
            return new InferenceRequest { Protocol = Name, Operation = operation.Name, Model = operation.ModelFromPath, ModelVersion = operation.VersionFromPath };
        }

        var reader = new JsonBodyReader(body, limits);
        reader.ReadRootObject();
        var names = default(PropertyNames);
        List<InferenceInput>? rows = null;
        List<InferenceInput>? columns = null;
        while (reader.NextProperty(ref names, string.Empty, out var name))
        {
            if (name.SequenceEqual("instances"u8) && reader.TokenType != JsonTokenType.Null)
            {
                rows = ReadRows(ref reader);
            }
            else if (name.SequenceEqual("inputs"u8) && reader.TokenType != JsonTokenType.Null)
            {
                columns = ReadColumns(ref reader);
            }
            else if (name.SequenceEqual("signature_name"u8) && reader.TokenType is not (JsonTokenType.String or JsonTokenType.Null))
            {
                throw new ProtocolViolationException("signature_name", $"'signature_name' must be a string, not {reader.Describe()}.");
            }
            else
            {
                reader.SkipValue();
            }
        }

        reader.ReadEnd();
        if (rows is null == columns is null)
        {
            throw new ProtocolViolationException(
                rows is null ? "instances" : "inputs",
                "Exactly one of 'instances' (row format) or 'inputs' (columnar format) is required.");
        }

        return new InferenceRequest
        {
            Protocol = Name,
            Operation = operation.Name,
            Model = operation.ModelFromPath,
            ModelVersion = operation.VersionFromPath,
            Inputs = rows ?? columns!,
        };
    }

    public InferenceResponse ParseResponse(ProtocolOperation operation, ReadOnlySpan<byte> body)
    {
        var reader = new JsonBodyReader(body, JsonReadLimits.Upstream);
        reader.ReadRootObject();
        var names = default(PropertyNames);
        var outputs = new List<OutputTensor>(1);
        while (reader.NextProperty(ref names, string.Empty, out var name))
        {
            if (name.SequenceEqual("predictions"u8) || name.SequenceEqual("outputs"u8))
            {
                var field = name.SequenceEqual("predictions"u8) ? "predictions" : "outputs";
                ReadPredictions(ref reader, field, outputs);
            }
            else
            {
                reader.SkipValue();
            }
        }

        reader.ReadEnd();
        return new InferenceResponse { Protocol = Name, Outputs = outputs };
    }

    private static List<InferenceInput> ReadRows(ref JsonBodyReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartArray)
        {
            throw new ProtocolViolationException("instances", "'instances' must be a non-empty array of rows.");
        }

        // Peek at the first row on a copy of the reader: named rows are objects, except {"b64": ...} values.
        var peek = reader;
        peek.Next();
        if (peek.TokenType == JsonTokenType.EndArray)
        {
            throw new ProtocolViolationException("instances", "'instances' must be a non-empty array of rows.");
        }

        if (peek.TokenType != JsonTokenType.StartObject || IsB64Object(peek))
        {
            var tensor = new TensorCollector("instances", allowB64: true);
            tensor.Read(ref reader, 0);
            return [tensor.Build("instances", "instances", null, null)];
        }

        return ReadNamedRows(ref reader);
    }

    // Named inputs per row: each name becomes one tensor, rows stacked on the first dimension.
    private static List<InferenceInput> ReadNamedRows(ref JsonBodyReader reader)
    {
        var columns = new Dictionary<string, TensorCollector>(StringComparer.Ordinal);
        var order = new List<string>();
        var seenInRow = new HashSet<string>(StringComparer.Ordinal);
        var row = 0;
        reader.Next();
        while (reader.TokenType != JsonTokenType.EndArray)
        {
            var field = FieldNames.Index("instances", row);
            reader.Expect(JsonTokenType.StartObject, field);
            var names = default(PropertyNames);
            seenInRow.Clear();
            while (reader.NextProperty(ref names, field, out var nameBytes))
            {
                var name = System.Text.Encoding.UTF8.GetString(nameBytes);
                if (!columns.TryGetValue(name, out var column))
                {
                    if (row > 0)
                    {
                        throw NameMismatch(field, name, order);
                    }

                    column = new TensorCollector($"instances[*].{name}", allowB64: true);
                    columns[name] = column;
                    order.Add(name);
                }

                seenInRow.Add(name);
                column.Read(ref reader, 1);
            }

            if (seenInRow.Count != order.Count)
            {
                throw NameMismatch(field, order.First(n => !seenInRow.Contains(n)), order);
            }

            row++;
            reader.Next();
        }

        var tensors = new List<InferenceInput>(order.Count);
        foreach (var name in order)
        {
            var column = columns[name];
            column.CompleteRows(row);
            tensors.Add(column.Build($"instances[*].{name}", name, null, null));
        }

        return tensors;
    }

    private static List<InferenceInput> ReadColumns(ref JsonBodyReader reader)
    {
        if (reader.TokenType != JsonTokenType.StartObject || IsB64Object(reader))
        {
            var tensor = new TensorCollector("inputs", allowB64: true);
            tensor.Read(ref reader, 0);
            return [tensor.Build("inputs", "inputs", null, null)];
        }

        var tensors = new List<InferenceInput>();
        var names = default(PropertyNames);
        while (reader.NextProperty(ref names, "inputs", out var nameBytes))
        {
            var name = System.Text.Encoding.UTF8.GetString(nameBytes);
            var field = "inputs." + name;
            var tensor = new TensorCollector(field, allowB64: true);
            tensor.Read(ref reader, 0);
            tensors.Add(tensor.Build(field, name, null, null));
        }

        if (tensors.Count == 0)
        {
            throw new ProtocolViolationException("inputs", "'inputs' names no input.");
        }

        return tensors;
    }

    /// <summary>Whether the value the reader stands on is exactly <c>{"b64": "..."}</c>; reads ahead on a copy.</summary>
    private static bool IsB64Object(JsonBodyReader peek)
    {
        if (peek.TokenType != JsonTokenType.StartObject)
        {
            return false;
        }

        var names = default(PropertyNames);
        if (!peek.NextProperty(ref names, string.Empty, out var name) || !name.SequenceEqual("b64"u8) || peek.TokenType != JsonTokenType.String)
        {
            return false;
        }

        peek.Next();
        return peek.TokenType == JsonTokenType.EndObject;
    }

    private static ProtocolViolationException NameMismatch(string field, string name, List<string> first) =>
        new(field, $"'{field}' names inputs that differ from the first instance ({{{string.Join(", ", first.Select(n => Pipeline.Excerpt.Scrubbed(n)))}}}): '{Pipeline.Excerpt.Of(name)}'.");

    private static void ReadPredictions(ref JsonBodyReader reader, string field, List<OutputTensor> outputs)
    {
        if (reader.TokenType == JsonTokenType.StartObject)
        {
            // Columnar: {"outputs": {"name": [...], ...}}
            var names = default(PropertyNames);
            while (reader.NextProperty(ref names, field, out var nameBytes))
            {
                var values = new OutputReader();
                var name = System.Text.Encoding.UTF8.GetString(nameBytes);
                if (values.Read(ref reader) && values.Build(name, "FP64", null) is { } output)
                {
                    outputs.Add(output);
                }
            }

            return;
        }

        if (reader.TokenType != JsonTokenType.StartArray)
        {
            reader.SkipValue();
            return;
        }

        var peek = reader;
        peek.Next();
        if (peek.TokenType != JsonTokenType.StartObject)
        {
            // Rows of numbers: {"predictions": [[0.1, 0.9], ...]}
            var values = new OutputReader();
            if (values.Read(ref reader) && values.Build(field, "FP64", null) is { } output)
            {
                outputs.Add(output);
            }

            return;
        }

        // Named outputs per row: {"predictions": [{"probabilities": [...], "label": 2}, ...]}
        var columns = new Dictionary<string, OutputReader>(StringComparer.Ordinal);
        var order = new List<string>();
        var rows = 0;
        reader.Next();
        while (reader.TokenType != JsonTokenType.EndArray)
        {
            if (reader.TokenType == JsonTokenType.StartObject)
            {
                var names = default(PropertyNames);
                while (reader.NextProperty(ref names, field, out var nameBytes))
                {
                    var name = System.Text.Encoding.UTF8.GetString(nameBytes);
                    if (!columns.TryGetValue(name, out var column))
                    {
                        columns[name] = column = new OutputReader();
                        order.Add(name);
                    }

                    column.Read(ref reader);
                }
            }
            else
            {
                reader.SkipValue();
            }

            rows++;
            reader.Next();
        }

        foreach (var name in order)
        {
            var column = columns[name];
            column.SetRows(rows);
            if (column.Build(name, "FP64", null) is { } output)
            {
                outputs.Add(output);
            }
        }
    }
}
