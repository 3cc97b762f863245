using System.Globalization;
using System.Text.Json;
using AiGuard.Pipeline;

namespace AiGuard.Protocols.Json;

/// <summary>
/// Reads a JSON body in one forward pass: syntax, the depth and element limits and typed values,
/// with errors that name the field. The adapters build their normalized views on it.
/// </summary>
/// <remarks>
/// One <see cref="Utf8JsonReader"/> pass over the buffered body replaces a limits pass, a
/// <c>JsonDocument</c> and a tree walk. Every value the reader passes is counted, including the
/// values of fields the adapter skips, so the element limit holds for the whole body.
/// </remarks>
internal ref struct JsonBodyReader
{
    private Utf8JsonReader _reader;
    private readonly int _maxDepth;
    private readonly int _maxElements;
    private long _elements;

    public JsonBodyReader(ReadOnlySpan<byte> json, JsonReadLimits limits)
    {
        _maxDepth = limits.MaxDepth;
        _maxElements = limits.MaxElements;
        // The reader's own depth limit sits above ours so that our message (naming the limit) wins.
        _reader = new Utf8JsonReader(json, new JsonReaderOptions { MaxDepth = Math.Max(limits.MaxDepth + 1, 2), CommentHandling = JsonCommentHandling.Disallow });
    }

    public readonly JsonTokenType TokenType => _reader.TokenType;

    /// <summary>Byte offset of the current token in the body.</summary>
    public readonly int TokenStart => checked((int)_reader.TokenStartIndex);

    /// <summary>Bytes consumed so far (the end of the current token).</summary>
    public readonly int BytesConsumed => checked((int)_reader.BytesConsumed);

    public readonly int CurrentDepth => _reader.CurrentDepth;

    /// <summary>Reads the first token of the body, which must open a JSON object.</summary>
    public void ReadRootObject()
    {
        if (!Read())
        {
            throw Malformed("The body is empty; a JSON document was expected.");
        }

        if (TokenType != JsonTokenType.StartObject)
        {
            throw new ProtocolViolationException(string.Empty, $"The body must be a JSON object, not {Describe()}.");
        }
    }

    /// <summary>After the root value: only whitespace may follow.</summary>
    public void ReadEnd()
    {
        if (Read())
        {
            throw Malformed("The body has more than one JSON value.");
        }
    }

    /// <summary>Advances one token, counting values and enforcing the limits.</summary>
    public bool Read()
    {
        bool read;
        try
        {
            read = _reader.Read();
        }
        catch (JsonException ex)
        {
            throw Malformed($"The body is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}).");
        }

        if (!read)
        {
            return false;
        }

        switch (_reader.TokenType)
        {
            case JsonTokenType.StartObject:
            case JsonTokenType.StartArray:
                if (_reader.CurrentDepth >= _maxDepth)
                {
                    throw new ProtocolViolationException(string.Empty, $"The JSON body is nested deeper than the limit of {_maxDepth} levels.", ProblemCodes.JsonTooDeep);
                }

                Count();
                break;
            case JsonTokenType.String:
            case JsonTokenType.Number:
            case JsonTokenType.True:
            case JsonTokenType.False:
            case JsonTokenType.Null:
                Count();
                break;
        }

        return true;
    }

    /// <summary>Advances to the next token, which must exist (inside a value the body cannot end without a syntax error).</summary>
    public void Next()
    {
        if (!Read())
        {
            throw Malformed("The body ends in the middle of a JSON value.");
        }
    }

    /// <summary>Skips the current value (and everything inside it), counting its elements.</summary>
    public void SkipValue()
    {
        if (TokenType is not (JsonTokenType.StartObject or JsonTokenType.StartArray))
        {
            return;
        }

        var depth = CurrentDepth;
        do
        {
            Next();
        }
        while (CurrentDepth > depth || TokenType is not (JsonTokenType.EndObject or JsonTokenType.EndArray));
    }

    /// <summary>Moves to the next property of the current object; false at its end. The reader then stands on the value.</summary>
    /// <param name="names">The names seen in this object, to refuse a repeated one.</param>
    /// <param name="objectField">The object's field path, for the error message.</param>
    public bool NextProperty(ref PropertyNames names, string objectField, out ReadOnlySpan<byte> name)
    {
        Next();
        if (TokenType == JsonTokenType.EndObject)
        {
            name = default;
            return false;
        }

        name = PropertyName();
        names.Add(name, objectField);
        Next();
        return true;
    }

    /// <summary>The unescaped name of the current property token (escapes like <c>mo\u0064el</c> are resolved).</summary>
    private readonly ReadOnlySpan<byte> PropertyName()
    {
        if (!_reader.ValueIsEscaped)
        {
            return _reader.ValueSpan;
        }

        // Rare: an escaped name is unescaped into its own buffer (never longer than the escaped form).
        var buffer = new byte[_reader.ValueSpan.Length];
        try
        {
            var written = _reader.CopyString(buffer);
            return buffer[..written];
        }
        catch (InvalidOperationException)
        {
            throw new ProtocolViolationException(string.Empty, "A property name is not valid Unicode text.");
        }
    }

    public readonly string GetString(string field)
    {
        if (TokenType != JsonTokenType.String)
        {
            throw new ProtocolViolationException(field, $"'{Display(field)}' must be a string, not {Describe()}.");
        }

        try
        {
            return _reader.GetString()!;
        }
        catch (InvalidOperationException)
        {
            // Invalid UTF-8 bytes, or an unpaired surrogate escape such as "\ud800".
            throw new ProtocolViolationException(field, $"'{Display(field)}' is not valid Unicode text (invalid UTF-8 or an unpaired surrogate).");
        }
    }

    /// <summary>Whether the current string equals <paramref name="text"/> (after unescaping), without allocating.</summary>
    public readonly bool ValueTextEquals(string text) => _reader.ValueTextEquals(text);

    public readonly bool GetBoolean(string field) => TokenType switch
    {
        JsonTokenType.True => true,
        JsonTokenType.False => false,
        _ => throw new ProtocolViolationException(field, $"'{Display(field)}' must be true or false, not {Describe()}."),
    };

    public readonly double GetDouble(string field)
    {
        if (!TryGetFiniteDouble(out var value))
        {
            throw TokenType == JsonTokenType.Number
                ? new ProtocolViolationException(field, $"'{Display(field)}' is outside the range of a double.")
                : new ProtocolViolationException(field, $"'{Display(field)}' must be a number, not {Describe()}.");
        }

        return value;
    }

    /// <summary>The current token as a finite double; false for anything else (strings, huge numbers).</summary>
    public readonly bool TryGetFiniteDouble(out double value)
    {
        if (TokenType == JsonTokenType.Number && _reader.TryGetDouble(out value) && double.IsFinite(value))
        {
            return true;
        }

        value = 0;
        return false;
    }

    public readonly double GetNumber(string field, double min, double max)
    {
        var value = GetDouble(field);
        if (value < min || value > max)
        {
            throw new ProtocolViolationException(field, $"'{field}' must be between {Format(min)} and {Format(max)}.");
        }

        return value;
    }

    public readonly int GetInt32(string field, int min, int max)
    {
        if (TokenType != JsonTokenType.Number || !_reader.TryGetInt64(out var value))
        {
            throw new ProtocolViolationException(field, $"'{field}' must be an integer, not {Describe()}.");
        }

        if (value < min || value > max)
        {
            throw new ProtocolViolationException(field, $"'{field}' must be between {min} and {max}, not {value}.");
        }

        return (int)value;
    }

    /// <summary>The number as a 64-bit integer, when the reader stands on one that fits.</summary>
    public readonly bool TryGetInt64(out long value)
    {
        value = 0;
        return TokenType == JsonTokenType.Number && _reader.TryGetInt64(out value);
    }

    public readonly long GetInt64(string field)
    {
        if (TokenType != JsonTokenType.Number || !_reader.TryGetInt64(out var value))
        {
            throw new ProtocolViolationException(field, $"'{field}' must be an integer, not {Describe()}.");
        }

        return value;
    }

    public readonly void Expect(JsonTokenType token, string field)
    {
        if (TokenType != token)
        {
            var expected = token == JsonTokenType.StartObject ? "a JSON object" : DescribeToken(token);
            throw new ProtocolViolationException(field, $"'{Display(field)}' must be {expected}, not {Describe()}.");
        }
    }

    /// <summary>A short description of the current value's kind for messages (never its content).</summary>
    public readonly string Describe() => DescribeToken(TokenType);

    public static string DescribeToken(JsonTokenType token) => token switch
    {
        JsonTokenType.StartObject => "an object",
        JsonTokenType.StartArray => "an array",
        JsonTokenType.String => "a string",
        JsonTokenType.Number => "a number",
        JsonTokenType.True or JsonTokenType.False => "a boolean",
        JsonTokenType.Null => "null",
        _ => "nothing",
    };

    public static string Display(string field) => field.Length == 0 ? "body" : field;

    public static ProtocolViolationException Malformed(string message) => new(string.Empty, message, ProblemCodes.MalformedJson);

    private void Count()
    {
        if (++_elements > _maxElements)
        {
            throw new ProtocolViolationException(string.Empty, $"The JSON body has more than the limit of {_maxElements} elements.", ProblemCodes.JsonTooManyElements);
        }
    }

    private static string Format(double value) => value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>Tracks the property names of one JSON object so that a repeated name is refused.</summary>
/// <remarks>
/// A repeated name lets a client show the gateway one value and the upstream another
/// (<c>{"model":"a","model":"b"}</c>), so every object an adapter reads refuses repeats. Names
/// are compared after unescaping, by a 64-bit FNV-1a hash; the first 16 are kept inline.
/// </remarks>
internal struct PropertyNames
{
    private Hashes _inline;
    private int _count;
    private HashSet<ulong>? _overflow;

    /// <summary>Adds a name; throws a <c>malformed_json</c> refusal when this object had it before.</summary>
    public void Add(ReadOnlySpan<byte> name, string objectField)
    {
        var hash = Hash(name);
        Span<ulong> seen = _inline;
        var inline = Math.Min(_count, Hashes.Length);
        if (seen[..inline].Contains(hash) || (_overflow?.Contains(hash) ?? false))
        {
            var where = objectField.Length == 0 ? "The JSON body" : $"'{objectField}'";
            throw new ProtocolViolationException(objectField, $"{where} repeats a property name; each property may appear once.", ProblemCodes.MalformedJson);
        }

        if (_count < Hashes.Length)
        {
            seen[_count] = hash;
        }
        else
        {
            (_overflow ??= []).Add(hash);
        }

        _count++;
    }

    private static ulong Hash(ReadOnlySpan<byte> name)
    {
        var hash = 14695981039346656037UL;
        foreach (var b in name)
        {
            hash = (hash ^ b) * 1099511628211UL;
        }

        return hash;
    }

    [System.Runtime.CompilerServices.InlineArray(Length)]
    private struct Hashes
    {
        public const int Length = 16;
#pragma warning disable IDE0044, IDE0051 // the inline array's storage
        private ulong _element;
#pragma warning restore IDE0044, IDE0051
    }
}

/// <summary>Field names the adapters report, cached for the first indices so that a valid body allocates none.</summary>
internal static class FieldNames
{
    private const int Cached = 32;
    private static readonly string[] Messages = [.. Enumerable.Range(0, Cached).Select(i => $"messages[{i}]")];
    private static readonly string[] MessageContents = [.. Enumerable.Range(0, Cached).Select(i => $"messages[{i}].content")];
    private static readonly string[] MessageRoles = [.. Enumerable.Range(0, Cached).Select(i => $"messages[{i}].role")];
    private static readonly TensorFields[] Inputs = [.. Enumerable.Range(0, Cached).Select(i => new TensorFields($"inputs[{i}]"))];

    public static string Message(int index) => index < Cached ? Messages[index] : $"messages[{index}]";

    public static string MessageContent(int index) => index < Cached ? MessageContents[index] : $"messages[{index}].content";

    public static string MessageRole(int index) => index < Cached ? MessageRoles[index] : $"messages[{index}].role";

    /// <summary>The field names of the tensor <c>inputs[index]</c> and its members, built once for the first few.</summary>
    public static TensorFields Input(int index) => index < Cached ? Inputs[index] : new TensorFields($"inputs[{index}]");

    public static string Index(string parent, int index) => string.Create(CultureInfo.InvariantCulture, $"{parent}[{index}]");

    public static string Member(string parent, string name) => parent.Length == 0 ? name : parent + "." + name;

    /// <summary>
    /// A member's field path from its unescaped UTF-8 name: <c>parent.name</c>, or
    /// <c>parent["name"]</c> (a JSON string) when the name is empty or holds a character that
    /// separates steps (<c>. [ ] " \</c>), so that every path names exactly one field.
    /// </summary>
    public static string Member(string parent, ReadOnlySpan<byte> name)
    {
        if (name.SequenceEqual("description"u8))
        {
            return Member(parent, "description");
        }

        var text = System.Text.Encoding.UTF8.GetString(name);
        return text.Length > 0 && text.AsSpan().IndexOfAny(StepSeparators) < 0
            ? Member(parent, text)
            : parent + "[" + JsonSerializer.Serialize(text) + "]";
    }

    private static readonly System.Buffers.SearchValues<char> StepSeparators = System.Buffers.SearchValues.Create(".[]\"\\");
}

/// <summary>The field names of one tensor of a request, for messages: built once, not per request.</summary>
internal sealed class TensorFields(string field)
{
    public string Field { get; } = field;

    public string Name { get; } = field + ".name";

    public string DataType { get; } = field + ".datatype";

    public string Shape { get; } = field + ".shape";

    public string Data { get; } = field + ".data";
}
