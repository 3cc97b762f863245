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
        if (edit.Tensor is { } tensor)
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
            count += text.IsModified && text.IsWritable ? 1 : 0;
            count += text.IsModified && text.Logprobs is not null ? 1 : 0;
        }

        foreach (var arguments in response.ToolCallArguments)
        {
            count += arguments.IsModified ? 1 : 0;
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
            if (TextEdit(text) is { } edit)
            {
                edits.Add(edit);
            }

            if (text.IsModified && text.Logprobs is { } logprobs)
            {
                edits.Add(new Edit(logprobs, null, null));
            }
        }

        foreach (var arguments in response.ToolCallArguments)
        {
            if (TextEdit(arguments) is { } edit)
            {
                edits.Add(edit);
            }
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

        foreach (var text in response.Texts.Concat(response.ToolCallArguments))
        {
            if (TextEdit(text) is { } edit)
            {
                return edit;
            }
        }

        return null;
    }

    /// <summary>A changed text: its content string replaced, or a content member added to a message that had none.</summary>
    private static Edit? TextEdit(GeneratedText text)
    {
        if (!text.IsModified)
        {
            return null;
        }

        if (text.Content is { } content)
        {
            return new Edit(content, null, text);
        }

        return text.MessageEnd is { } end
            ? new Edit(new JsonSegment(end.Position, end.Position, 0), null, text, Member: end.HasMembers ? FurtherMember : OnlyMember)
            : null;
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
    private readonly record struct Edit(JsonSegment Segment, OutputTensor? Tensor, GeneratedText? Text, byte[]? Member = null);
}
