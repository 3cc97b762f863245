using System.Globalization;
using System.Text.Json;

namespace AiGuard.Protocols.Json;

/// <summary>Reads tensor data given flat or nested, checking that it fits its shape and datatype.</summary>
internal static class TensorData
{
    /// <summary>Open Inference Protocol datatypes and whether they are numeric.</summary>
    public static readonly IReadOnlySet<string> DataTypes = new HashSet<string>(StringComparer.Ordinal)
    {
        "BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64", "FP16", "FP32", "FP64", "BYTES",
    };

    /// <summary>Flattens <paramref name="data"/> (row-major) and returns its inferred shape.</summary>
    public static (List<double> Numbers, List<string> Strings, long[] Shape) Flatten(JsonElement data, string dataType, string field)
    {
        var walk = new Walk(dataType, new List<long>(), new List<double>(), new List<string>());
        Visit(data, field, depth: 0, ref walk);
        return (walk.Numbers, walk.Strings, walk.Shape.ToArray());
    }

    private static void Visit(JsonElement element, string field, int depth, ref Walk walk)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            var length = element.GetArrayLength();
            if (walk.LeafDepth >= 0 && depth >= walk.LeafDepth)
            {
                throw Ragged(field, depth);
            }

            if (depth == walk.Shape.Count)
            {
                walk.Shape.Add(length);
            }
            else if (walk.Shape[depth] != length)
            {
                throw new ProtocolViolationException(field, $"'{field}' is ragged: it has {length} elements where {walk.Shape[depth]} were expected.");
            }

            var index = 0;
            foreach (var item in element.EnumerateArray())
            {
                Visit(item, $"{field}[{index}]", depth + 1, ref walk);
                index++;
            }

            return;
        }

        if (walk.LeafDepth < 0)
        {
            walk.LeafDepth = depth;
        }

        if (depth != walk.LeafDepth || depth != walk.Shape.Count)
        {
            throw Ragged(field, depth);
        }

        ReadScalar(element, walk.DataType, field, walk.Numbers, walk.Strings);
    }

    private static ProtocolViolationException Ragged(string field, int depth) =>
        new(field, $"'{field}' is ragged: arrays and values are mixed at nesting level {depth}.");

    private struct Walk(string dataType, List<long> shape, List<double> numbers, List<string> strings)
    {
        public readonly string DataType = dataType;
        public readonly List<long> Shape = shape;
        public readonly List<double> Numbers = numbers;
        public readonly List<string> Strings = strings;
        public int LeafDepth = -1;
    }

    private static void ReadScalar(JsonElement element, string dataType, string field, List<double> numbers, List<string> strings)
    {
        switch (dataType)
        {
            case "BYTES":
                if (element.ValueKind != JsonValueKind.String)
                {
                    throw new ProtocolViolationException(field, $"'{field}' must be a string for datatype BYTES, not {JsonFields.Describe(element)}.");
                }

                strings.Add(element.GetString()!);
                return;
            case "BOOL":
                numbers.Add(element.ValueKind switch
                {
                    JsonValueKind.True => 1,
                    JsonValueKind.False => 0,
                    _ => throw new ProtocolViolationException(field, $"'{field}' must be true or false for datatype BOOL, not {JsonFields.Describe(element)}."),
                });
                return;
        }

        if (element.ValueKind != JsonValueKind.Number)
        {
            throw new ProtocolViolationException(field, $"'{field}' must be a number for datatype {dataType}, not {JsonFields.Describe(element)}.");
        }

        var value = element.GetDouble();
        if (dataType[0] is 'I' or 'U')
        {
            if (value != Math.Floor(value))
            {
                throw new ProtocolViolationException(field, $"'{field}' must be an integer for datatype {dataType}.");
            }

            if (dataType[0] == 'U' && value < 0)
            {
                throw new ProtocolViolationException(field, $"'{field}' must not be negative for datatype {dataType}.");
            }
        }
        else if (dataType == "FP32" && Math.Abs(value) > float.MaxValue)
        {
            throw new ProtocolViolationException(field, $"'{field}' is outside the range of FP32 ({value.ToString("G6", CultureInfo.InvariantCulture)}).");
        }

        numbers.Add(value);
    }
}
