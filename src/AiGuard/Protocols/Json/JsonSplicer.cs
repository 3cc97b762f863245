using System.Buffers;
using System.Globalization;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace AiGuard.Protocols.Json;

/// <summary>
/// Writes an upstream body back with only the values a stage changed replaced: numbers of
/// hardened outputs and changed texts. Every other byte is copied as the upstream sent it.
/// </summary>
internal static class JsonSplicer
{
    private static readonly JavaScriptEncoder Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping;
    private static readonly byte[] FurtherMember = ",\"content\":"u8.ToArray();
    private static readonly byte[] OnlyMember = "\"content\":"u8.ToArray();

    public static void Write(ReadOnlySpan<byte> original, InferenceResponse response, IBufferWriter<byte> output)
    {
        // The usual answer has one changed output in one place: no list, no sort.
        var edits = Edits(response);
        if (edits is null)
        {
            var single = Single(response);
            if (single is not { } only)
            {
                output.Write(original);
                return;
            }

            Splice(original, only, output);
            output.Write(original[only.Segment.End..]);
            return;
        }

        edits.Sort((a, b) => a.Segment.Start.CompareTo(b.Segment.Start));
        var position = 0;
        foreach (var edit in edits)
        {
            output.Write(original[position..edit.Segment.Start]);
            WriteValue(original[edit.Segment.Start..edit.Segment.End], edit, output);
            position = edit.Segment.End;
        }

        output.Write(original[position..]);
    }

    private static void Splice(ReadOnlySpan<byte> original, Edit edit, IBufferWriter<byte> output)
    {
        output.Write(original[..edit.Segment.Start]);
        WriteValue(original[edit.Segment.Start..edit.Segment.End], edit, output);
    }

    private static void WriteValue(ReadOnlySpan<byte> value, Edit edit, IBufferWriter<byte> output)
    {
        if (edit.Raw is { } raw)
        {
            output.Write(raw);
        }
        else if (edit.Tensor is { } tensor)
        {
            WriteNumbers(value, tensor.Values, edit.Segment.FirstValue, output);
        }
        else if (edit.Text is { } text)
        {
            output.Write(edit.Member);
            WriteString(text.Text, output);
        }
        else
        {
            // The logprobs of a changed text: they would spell out what was changed.
            output.Write("null"u8);
        }
    }

    /// <summary>All edits when there are several; null when there are none or one.</summary>
    private static List<Edit>? Edits(InferenceResponse response)
    {
        var count = 0;
        foreach (var tensor in response.Outputs)
        {
            count += tensor.IsModified ? tensor.Segments.Count : 0;
        }

        foreach (var text in response.Texts)
        {
            count += text.IsModified ? TextEdits(text, null) : 0;
        }

        foreach (var arguments in response.ToolCallArguments)
        {
            count += arguments.IsModified ? TextEdits(arguments, null) : 0;
        }

        if (count <= 1)
        {
            return null;
        }

        var edits = new List<Edit>(count);
        foreach (var tensor in response.Outputs)
        {
            if (tensor.IsModified)
            {
                foreach (var segment in tensor.Segments)
                {
                    edits.Add(new Edit(segment, tensor, null));
                }
            }
        }

        foreach (var text in response.Texts)
        {
            TextEdits(text, edits);
        }

        foreach (var arguments in response.ToolCallArguments)
        {
            TextEdits(arguments, edits);
        }

        return edits;
    }

    private static Edit? Single(InferenceResponse response)
    {
        foreach (var tensor in response.Outputs)
        {
            if (tensor.IsModified)
            {
                return new Edit(tensor.Segments[0], tensor, null);
            }
        }

        var one = new List<Edit>(1);
        foreach (var text in response.Texts)
        {
            TextEdits(text, one);
        }

        foreach (var arguments in response.ToolCallArguments)
        {
            TextEdits(arguments, one);
        }

        return one.Count > 0 ? one[0] : null;
    }

    /// <summary>
    /// The edits a changed text makes, added to <paramref name="edits"/> when given; their number.
    /// A changed text replaces its content string (or adds a content member to a message that had
    /// none) and nulls its logprobs; added tool calls go into the message's <c>tool_calls</c> array,
    /// or a new <c>tool_calls</c> member.
    /// </summary>
    private static int TextEdits(GeneratedText text, List<Edit>? edits)
    {
        if (!text.IsModified)
        {
            return 0;
        }

        var count = 0;
        var insertContent = text.TextChanged && text.Content is null && text.MessageEnd is not null;
        if (text.TextChanged && text.Content is { } content)
        {
            edits?.Add(new Edit(content, null, text));
            count++;
        }

        // Added calls: tool calls into the message's tool_calls array (or in place of a null one, or as a
        // new member); a legacy function call (call -1) in place of a null function_call or as a new member.
        var added = text.AddedToolCalls;
        var calls = added.Count == 0 ? [] : added.Where(c => c.Call >= 0).ToList();
        var legacy = added.Count == 0 ? null : added.Where(c => c.Call < 0).Select(c => c.Arguments).LastOrDefault();
        var intoArray = calls.Count > 0 && text.ToolCallsEnd is not null;
        var replaceCalls = calls.Count > 0 && !intoArray && text.ToolCallsValue is not null;
        var newMember = calls.Count > 0 && !intoArray && !replaceCalls;
        var replaceLegacy = legacy is not null && text.FunctionCallValue is not null;
        var intoLegacy = legacy is not null && !replaceLegacy && text.FunctionCallEnd is not null;
        var newLegacy = legacy is not null && !replaceLegacy && !intoLegacy;
        // Each insertion or replacement below is written only when the edits are wanted (the first
        // pass over a response just counts them).
        void Raw(JsonSegment at, Action<ArrayBufferWriter<byte>> write)
        {
            count++;
            if (edits is not null)
            {
                var buffer = new ArrayBufferWriter<byte>(64);
                write(buffer);
                edits.Add(new Edit(at, null, null, Raw: buffer.WrittenSpan.ToArray()));
            }
        }

        if ((insertContent || newMember || newLegacy) && text.MessageEnd is { } end)
        {
            // One insertion at the message's closing brace: the content member, then the calls.
            Raw(new JsonSegment(end.Position, end.Position, 0), buffer =>
            {
                var members = end.HasMembers;
                if (insertContent)
                {
                    buffer.Write(members ? FurtherMember : OnlyMember);
                    WriteString(text.Text, buffer);
                    members = true;
                }

                if (newMember)
                {
                    buffer.Write(members ? ",\"tool_calls\":["u8 : "\"tool_calls\":["u8);
                    WriteCalls(calls, first: true, buffer);
                    buffer.Write("]"u8);
                    members = true;
                }

                if (newLegacy)
                {
                    buffer.Write(members ? ",\"function_call\":"u8 : "\"function_call\":"u8);
                    WriteLegacyCall(legacy!, buffer);
                }
            });
        }

        if (intoArray && text.ToolCallsEnd is { } array)
        {
            Raw(new JsonSegment(array.Position, array.Position, 0), buffer => WriteCalls(calls, first: !array.HasElements, buffer));
        }

        if (replaceCalls && text.ToolCallsValue is { } nullCalls)
        {
            Raw(nullCalls, buffer =>
            {
                buffer.Write("["u8);
                WriteCalls(calls, first: true, buffer);
                buffer.Write("]"u8);
            });
        }

        if (intoLegacy && text.FunctionCallEnd is { } callEnd)
        {
            // A function_call object that names the function but carries no arguments: they go inside it.
            Raw(new JsonSegment(callEnd.Position, callEnd.Position, 0), buffer =>
            {
                buffer.Write(callEnd.HasMembers ? ",\"arguments\":"u8 : "\"arguments\":"u8);
                WriteString(legacy!, buffer);
            });
        }

        if (replaceLegacy && text.FunctionCallValue is { } nullCall)
        {
            Raw(nullCall, buffer => WriteLegacyCall(legacy!, buffer));
        }

        if ((text.TextChanged || text.LogprobsDropped) && text.Logprobs is { } logprobs)
        {
            edits?.Add(new Edit(logprobs, null, null));
            count++;
        }

        return count;
    }

    /// <summary>A legacy function call's value: <c>{"arguments":"..."}</c>.</summary>
    private static void WriteLegacyCall(string arguments, IBufferWriter<byte> output)
    {
        output.Write("{\"arguments\":"u8);
        WriteString(arguments, output);
        output.Write("}"u8);
    }

    /// <summary>Tool calls as array elements: <c>{"index":k,"function":{"arguments":"..."}}</c>, comma-separated.</summary>
    private static void WriteCalls(IReadOnlyList<(int Call, string Arguments)> calls, bool first, IBufferWriter<byte> output)
    {
        Span<byte> number = stackalloc byte[11];
        foreach (var (call, arguments) in calls)
        {
            output.Write(first ? "{\"index\":"u8 : ",{\"index\":"u8);
            first = false;
            call.TryFormat(number, out var written, provider: CultureInfo.InvariantCulture);
            output.Write(number[..written]);
            output.Write(",\"function\":{\"arguments\":"u8);
            WriteString(arguments, output);
            output.Write("}}"u8);
        }
    }

    /// <summary>Copies a JSON array, replacing each number whose value changed (in order, from <paramref name="first"/>).</summary>
    private static void WriteNumbers(ReadOnlySpan<byte> array, double[] values, int first, IBufferWriter<byte> output)
    {
        var reader = new Utf8JsonReader(array, new JsonReaderOptions { MaxDepth = 256 });
        var copied = 0;
        var index = first;
        Span<byte> number = stackalloc byte[32];
        while (reader.Read())
        {
            if (reader.TokenType != JsonTokenType.Number)
            {
                continue;
            }

            var value = values[index++];
            if (reader.TryGetDouble(out var was) && was.Equals(value))
            {
                continue;
            }

            var start = (int)reader.TokenStartIndex;
            output.Write(array[copied..start]);
            if (!value.TryFormat(number, out var written, "R", CultureInfo.InvariantCulture))
            {
                throw new InvalidOperationException("A number did not fit its buffer.");
            }

            output.Write(number[..written]);
            copied = (int)reader.BytesConsumed;
        }

        output.Write(array[copied..]);
    }

    private static void WriteString(string text, IBufferWriter<byte> output)
    {
        var encoded = JsonEncodedText.Encode(text, Encoder);
        output.Write("\""u8);
        output.Write(encoded.EncodedUtf8Bytes);
        output.Write("\""u8);
    }

    /// <param name="Member">Written before the string when the edit adds a content member instead of replacing one.</param>
    /// <param name="Raw">Bytes inserted as they are (added members or array elements).</param>
    private readonly record struct Edit(JsonSegment Segment, OutputTensor? Tensor, GeneratedText? Text, byte[]? Member = null, byte[]? Raw = null);
}
