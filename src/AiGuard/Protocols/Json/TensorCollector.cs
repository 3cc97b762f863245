using System.Globalization;
using System.Text;
using System.Text.Json;
using AiGuard.Pipeline;

namespace AiGuard.Protocols.Json;

/// <summary>
/// Collects a tensor's values from nested JSON arrays while the body is being read, inferring the
/// shape and refusing ragged data; checks the values against the datatype once it is known.
/// </summary>
/// <remarks>
/// The datatype and shape of an Open Inference tensor may come before or after its data, so the
/// values are collected first and judged in <see cref="Build"/>. Positions are kept as numbers
/// and spelled out as a field path (<c>inputs[0].data[3][1]</c>) only for an error message.
/// </remarks>
internal sealed class TensorCollector
{
    /// <summary>Open Inference Protocol datatypes, the most common first.</summary>
    public static readonly string[] DataTypeNames =
        ["FP32", "FP64", "INT64", "INT32", "BYTES", "BOOL", "FP16", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16"];

    /// <summary>Open Inference Protocol datatypes.</summary>
    public static readonly IReadOnlySet<string> DataTypes = new HashSet<string>(DataTypeNames, StringComparer.Ordinal);

    private readonly string _field;
    private readonly bool _allowB64;
    // Dimensions by depth (-1: not seen yet) and the index path of the current position; few levels deep.
    private long[] _dims = [-1, -1, -1, -1];
    private int _rank;
    private int[] _path = new int[4];
    private int _depth;
    private double[] _numbers;
    private int _numberCount;
    private List<string>? _strings;
    private int _leaves;
    private int _leafDepth = -1;
    private int _firstNumber = -1;
    private int _firstBool = -1;
    private int _firstString = -1;

    /// <param name="field">The field path of the data, for messages.</param>
    /// <param name="allowB64">Accept TF-Serving's <c>{"b64": "..."}</c> leaves as strings.</param>
    /// <param name="capacity">Expected number of values, when a declared shape tells it.</param>
    public TensorCollector(string field, bool allowB64, int capacity = 16)
    {
        _field = field;
        _allowB64 = allowB64;
        _numbers = new double[Math.Clamp(capacity, 1, 1 << 20)];
    }

    /// <summary>The number of leaf values read so far.</summary>
    public int Count => _leaves;

    /// <summary>Reads the value the reader stands on at nesting level <paramref name="depth"/> of the tensor.</summary>
    public void Read(ref JsonBodyReader reader, int depth)
    {
        if (reader.TokenType == JsonTokenType.StartArray)
        {
            if (_leafDepth >= 0 && depth >= _leafDepth)
            {
                throw Ragged(depth);
            }

            if (_depth == _path.Length)
            {
                Array.Resize(ref _path, _path.Length * 2);
            }

            var slot = _depth++;
            var length = 0;
            reader.Next();
            while (reader.TokenType != JsonTokenType.EndArray)
            {
                _path[slot] = length;
                Read(ref reader, depth + 1);
                length++;
                reader.Next();
            }

            _depth--;
            SetDimension(depth, length);
            return;
        }

        if (_leafDepth < 0)
        {
            _leafDepth = depth;
        }
        else if (depth != _leafDepth)
        {
            throw Ragged(depth);
        }

        ReadLeaf(ref reader);
    }

    /// <summary>Closes a tensor whose rows were read one by one at depth 1 (TF-Serving named instances).</summary>
    public void CompleteRows(int rows) => SetDimension(0, rows);

    /// <summary>Checks the collected values against the datatype and the declared shape and builds the tensor.</summary>
    /// <param name="dataType">The declared datatype, or null to infer it from the values (TF-Serving).</param>
    public TensorInput Build(string inputField, string name, string? dataType, long[]? declaredShape)
    {
        dataType ??= _firstString == 0 ? "BYTES" : _firstBool == 0 ? "BOOL" : "FP64";
        var shape = declaredShape ?? InferredShape();
        switch (dataType)
        {
            case "BYTES":
                RequireNone(_firstNumber, "must be a string for datatype BYTES, not a number");
                RequireNone(_firstBool, "must be a string for datatype BYTES, not a boolean");
                break;
            case "BOOL":
                RequireNone(_firstNumber, "must be true or false for datatype BOOL, not a number");
                RequireNone(_firstString, "must be true or false for datatype BOOL, not a string");
                break;
            default:
                RequireNone(_firstString, $"must be a number for datatype {dataType}, not a string");
                RequireNone(_firstBool, $"must be a number for datatype {dataType}, not a boolean");
                CheckRange(dataType);
                break;
        }

        var values = _numberCount == _numbers.Length ? _numbers : _numbers[.._numberCount];
        var strings = _strings is null ? [] : _strings.ToArray();
        var tensor = new TensorInput(inputField, name, shape, dataType, values, strings);
        if (declaredShape is not null && tensor.ElementCount != _leaves)
        {
            throw new ProtocolViolationException(
                inputField + ".shape",
                $"'{inputField}.shape' [{string.Join(", ", declaredShape)}] holds {tensor.ElementCount} elements but '{_field}' has {_leaves}.",
                ProblemCodes.TensorShapeMismatch);
        }

        return tensor;
    }

    private void ReadLeaf(ref JsonBodyReader reader)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.Number:
                if (!reader.TryGetFiniteDouble(out var number))
                {
                    throw Invalid(CurrentField(), "is outside the range of a double");
                }

                AddNumber(number, ref _firstNumber);
                return;
            case JsonTokenType.True:
            case JsonTokenType.False:
                AddNumber(reader.TokenType == JsonTokenType.True ? 1 : 0, ref _firstBool);
                return;
            case JsonTokenType.String:
                AddString(reader.GetString(CurrentField()));
                return;
            case JsonTokenType.StartObject when _allowB64:
                AddString(ReadB64(ref reader));
                return;
            default:
                throw Invalid(CurrentField(), $"must hold numbers, booleans or strings, not {reader.Describe()}");
        }
    }

    // TF-Serving sends binary values as {"b64": "..."}; the guards see the base64 text.
    private string ReadB64(ref JsonBodyReader reader)
    {
        var field = CurrentField();
        string? value = null;
        var names = default(PropertyNames);
        while (reader.NextProperty(ref names, field, out var name))
        {
            if (!name.SequenceEqual("b64"u8))
            {
                throw Invalid(field, "must be {\"b64\": \"...\"} when it is an object");
            }

            value = reader.GetString(field + ".b64");
        }

        return value ?? throw Invalid(field, "must be {\"b64\": \"...\"} when it is an object");
    }

    private void AddNumber(double value, ref int firstOfKind)
    {
        if (_numberCount == _numbers.Length)
        {
            Array.Resize(ref _numbers, _numbers.Length * 2);
        }

        _numbers[_numberCount++] = value;
        if (firstOfKind < 0)
        {
            firstOfKind = _leaves;
        }

        _leaves++;
    }

    private void AddString(string value)
    {
        (_strings ??= []).Add(value);
        if (_firstString < 0)
        {
            _firstString = _leaves;
        }

        _leaves++;
    }

    private void SetDimension(int depth, int length)
    {
        if (depth >= _dims.Length)
        {
            var larger = new long[Math.Max(depth + 1, _dims.Length * 2)];
            larger.AsSpan().Fill(-1);
            _dims.CopyTo(larger, 0);
            _dims = larger;
        }

        _rank = Math.Max(_rank, depth + 1);
        if (_dims[depth] < 0)
        {
            _dims[depth] = length;
        }
        else if (_dims[depth] != length)
        {
            var field = CurrentField();
            throw new ProtocolViolationException(field, $"'{field}' is ragged: it has {length} elements where {_dims[depth]} were expected.");
        }
    }

    private long[] InferredShape()
    {
        var rank = _leafDepth >= 0 ? _leafDepth : _rank;
        var shape = new long[rank];
        for (var i = 0; i < rank; i++)
        {
            shape[i] = i < _rank ? Math.Max(_dims[i], 0) : 0;
        }

        return shape;
    }

    private void CheckRange(string dataType)
    {
        var integer = dataType[0] is 'I' or 'U';
        var unsigned = dataType[0] == 'U';
        var fp32 = dataType == "FP32";
        var fp16 = dataType == "FP16";
        if (!integer && !fp32 && !fp16)
        {
            return;
        }

        for (var i = 0; i < _numberCount; i++)
        {
            var value = _numbers[i];
            if (integer && value != Math.Floor(value))
            {
                throw Invalid(LeafField(i), $"must be an integer for datatype {dataType}");
            }

            if (unsigned && value < 0)
            {
                throw Invalid(LeafField(i), $"must not be negative for datatype {dataType}");
            }

            if ((fp32 && Math.Abs(value) > float.MaxValue) || (fp16 && Math.Abs(value) > (double)Half.MaxValue))
            {
                throw Invalid(LeafField(i), $"is outside the range of {dataType} ({value.ToString("G6", CultureInfo.InvariantCulture)})");
            }
        }
    }

    private void RequireNone(int firstIndex, string problem)
    {
        if (firstIndex >= 0)
        {
            throw Invalid(LeafField(firstIndex), problem);
        }
    }

    private ProtocolViolationException Ragged(int depth)
    {
        var field = CurrentField();
        return new ProtocolViolationException(field, $"'{field}' is ragged: arrays and values are mixed at nesting level {depth}.");
    }

    private static ProtocolViolationException Invalid(string field, string problem) => new(field, $"'{field}' {problem}.");

    private string CurrentField() => Append(new StringBuilder(_field), _path.Take(_depth)).ToString();

    /// <summary>The field path of the leaf with this row-major index, from the inferred shape.</summary>
    private string LeafField(int leafIndex)
    {
        var shape = InferredShape();
        var indices = new int[shape.Length];
        var rest = leafIndex;
        for (var d = shape.Length - 1; d >= 0; d--)
        {
            var size = (int)Math.Max(shape[d], 1);
            indices[d] = rest % size;
            rest /= size;
        }

        return Append(new StringBuilder(_field), indices).ToString();
    }

    private static StringBuilder Append(StringBuilder builder, IEnumerable<int> indices)
    {
        foreach (var index in indices)
        {
            builder.Append('[').Append(index.ToString(CultureInfo.InvariantCulture)).Append(']');
        }

        return builder;
    }
}
