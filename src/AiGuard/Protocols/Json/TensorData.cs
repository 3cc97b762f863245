using System.Globalization;
using System.Text;
using System.Text.Json;

namespace AiGuard.Protocols.Json;

/// <summary>Reads tensor data given flat or nested, checking that it fits its shape and datatype.</summary>
/// <remarks>
/// Tensors can hold many thousands of values, so the walk keeps the position as a stack of
/// indices and spells out a field path (<c>inputs[0].data[3][1]</c>) only when it has to
/// report a problem.
/// </remarks>
internal static class TensorData
{
    /// <summary>Open Inference Protocol datatypes.</summary>
    public static readonly IReadOnlySet<string> DataTypes = new HashSet<string>(StringComparer.Ordinal)
    {
        "BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64", "FP16", "FP32", "FP64", "BYTES",
    };

    /// <summary>Flattens <paramref name="data"/> (row-major) and returns its inferred shape.</summary>
    public static (List<double> Numbers, List<string> Strings, long[] Shape) Flatten(JsonElement data, string dataType, string field)
    {
        var walk = new Walk(field, dataType);
        Visit(data, depth: 0, walk);
        return (walk.Numbers, walk.Strings, walk.Shape.ToArray());
    }

    private static void Visit(JsonElement element, int depth, Walk walk)
    {
        if (element.ValueKind == JsonValueKind.Array)
        {
            var length = element.GetArrayLength();
            if (walk.LeafDepth >= 0 && depth >= walk.LeafDepth)
            {
                throw Ragged(walk, depth);
            }

            if (depth == walk.Shape.Count)
            {
                walk.Shape.Add(length);
                if (depth == 0 && walk.DataType != "BYTES")
                {
                    walk.Numbers.Capacity = Math.Max(walk.Numbers.Capacity, length);
                }
            }
            else if (walk.Shape[depth] != length)
            {
                var field = walk.Field();
                throw new ProtocolViolationException(field, $"'{field}' is ragged: it has {length} elements where {walk.Shape[depth]} were expected.");
            }

            var index = 0;
            foreach (var item in element.EnumerateArray())
            {
                walk.Path.Add(index);
                Visit(item, depth + 1, walk);
                walk.Path.RemoveAt(walk.Path.Count - 1);
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
            throw Ragged(walk, depth);
        }

        ReadScalar(element, walk);
    }

    private static ProtocolViolationException Ragged(Walk walk, int depth)
    {
        var field = walk.Field();
        return new ProtocolViolationException(field, $"'{field}' is ragged: arrays and values are mixed at nesting level {depth}.");
    }

    private static void ReadScalar(JsonElement element, Walk walk)
    {
        var dataType = walk.DataType;
        switch (dataType)
        {
            case "BYTES":
                if (element.ValueKind != JsonValueKind.String)
                {
                    throw Invalid(walk, $"must be a string for datatype BYTES, not {JsonFields.Describe(element)}");
                }

                walk.Strings.Add(element.GetString()!);
                return;
            case "BOOL":
                walk.Numbers.Add(element.ValueKind switch
                {
                    JsonValueKind.True => 1,
                    JsonValueKind.False => 0,
                    _ => throw Invalid(walk, $"must be true or false for datatype BOOL, not {JsonFields.Describe(element)}"),
                });
                return;
        }

        if (element.ValueKind != JsonValueKind.Number)
        {
            throw Invalid(walk, $"must be a number for datatype {dataType}, not {JsonFields.Describe(element)}");
        }

        var value = element.GetDouble();
        if (dataType[0] is 'I' or 'U')
        {
            if (value != Math.Floor(value))
            {
                throw Invalid(walk, $"must be an integer for datatype {dataType}");
            }

            if (dataType[0] == 'U' && value < 0)
            {
                throw Invalid(walk, $"must not be negative for datatype {dataType}");
            }
        }
        else if (dataType == "FP32" && Math.Abs(value) > float.MaxValue)
        {
            throw Invalid(walk, $"is outside the range of FP32 ({value.ToString("G6", CultureInfo.InvariantCulture)})");
        }

        walk.Numbers.Add(value);
    }

    private static ProtocolViolationException Invalid(Walk walk, string problem)
    {
        var field = walk.Field();
        return new ProtocolViolationException(field, $"'{field}' {problem}.");
    }

    private sealed class Walk(string baseField, string dataType)
    {
        public string DataType { get; } = dataType;

        public List<long> Shape { get; } = [];

        public List<double> Numbers { get; } = [];

        public List<string> Strings { get; } = [];

        public List<int> Path { get; } = [];

        public int LeafDepth { get; set; } = -1;

        /// <summary>The field path of the current position, built only for error messages.</summary>
        public string Field()
        {
            var builder = new StringBuilder(baseField);
            foreach (var index in Path)
            {
                builder.Append('[').Append(index.ToString(CultureInfo.InvariantCulture)).Append(']');
            }

            return builder.ToString();
        }
    }
}
