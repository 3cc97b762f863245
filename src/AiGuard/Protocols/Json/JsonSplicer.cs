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

    public static void Write(ReadOnlySpan<byte> original, InferenceResponse response, IBufferWriter<byte> output)
    {
        var edits = new List<Edit>();
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
            if (text.IsModified && text.Content is { } content)
            {
                edits.Add(new Edit(content, null, text));
            }
        }

        edits.Sort((a, b) => a.Segment.Start.CompareTo(b.Segment.Start));
        var position = 0;
        foreach (var edit in edits)
        {
            output.Write(original[position..edit.Segment.Start]);
            var value = original[edit.Segment.Start..edit.Segment.End];
            if (edit.Tensor is { } tensor)
            {
                WriteNumbers(value, tensor.Values, edit.Segment.FirstValue, output);
            }
            else
            {
                WriteString(edit.Text!.Text, output);
            }

            position = edit.Segment.End;
        }

        output.Write(original[position..]);
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

    private readonly record struct Edit(JsonSegment Segment, OutputTensor? Tensor, GeneratedText? Text);
}
