using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using AiGuard.Inspection.Input;

namespace AiGuard.Protocols.OpenAi;

/// <summary>
/// Writes the changes request stages made into an OpenAI request body: top-level members set to
/// a number or removed, and text fields (<c>messages[1].content</c>,
/// <c>messages[0].content[2].text</c>) replaced. Every other member is kept as sent.
/// </summary>
public static class RequestRewrite
{
    private static readonly JsonWriterOptions Compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static byte[] Apply(ReadOnlySpan<byte> body, IReadOnlyList<RequestEdit> edits) => Apply(body, edits, []);

    public static byte[] Apply(ReadOnlySpan<byte> body, IReadOnlyList<RequestEdit> edits, IReadOnlyList<(string Field, string Text)> texts) =>
        Rewrite(body, root =>
        {
            foreach (var (member, value) in edits)
            {
                if (value is { } number)
                {
                    root[member] = number;
                }
                else
                {
                    root.Remove(member);
                }
            }

            foreach (var (field, text) in texts)
            {
                Replace(root, field, text);
            }
        });

    /// <summary>
    /// The body read as a JSON object, changed by <paramref name="change"/>, written back compact.
    /// Throws <see cref="InvalidOperationException"/> when a string cannot be written (a lone surrogate).
    /// </summary>
    internal static byte[] Rewrite(ReadOnlySpan<byte> body, Action<JsonObject> change)
    {
        // The body was validated already (depth, size, no repeated names): only its depth bound matters here.
        var root = JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { MaxDepth = 1024 })!.AsObject();
        change(root);
        using var buffer = new MemoryStream(body.Length + 48);
        using (var writer = new Utf8JsonWriter(buffer, Compact))
        {
            root.WriteTo(writer);
        }

        return buffer.ToArray();
    }

    /// <summary>The index of the quote that closes the JSON string starting at <paramref name="open"/>.</summary>
    private static int QuotedEnd(string field, int open)
    {
        for (var j = open + 1; j < field.Length; j++)
        {
            if (field[j] == '\\')
            {
                j++;
            }
            else if (field[j] == '"')
            {
                return j;
            }
        }

        throw new InvalidOperationException($"The field path '{field}' has an unterminated name.");
    }

    /// <summary>Replaces the string at a field path the adapter named (members and [index] steps).</summary>
    private static void Replace(JsonNode root, string field, string text)
    {
        JsonNode? parent = null;
        object? last = null;
        var node = root;
        var i = 0;
        while (i < field.Length)
        {
            object step;
            if (field[i] == '[' && i + 1 < field.Length && field[i + 1] == '"')
            {
                // A member whose name would not read as one step: ["name"], the name a JSON string.
                var close = QuotedEnd(field, i + 1);
                step = JsonSerializer.Deserialize<string>(field.AsSpan(i + 1, close - i))!;
                i = close + 2;
            }
            else if (field[i] == '[')
            {
                var close = field.IndexOf(']', i);
                step = int.Parse(field.AsSpan(i + 1, close - i - 1), CultureInfo.InvariantCulture);
                i = close + 1;
            }
            else
            {
                if (field[i] == '.')
                {
                    i++;
                }

                var end = field.IndexOfAny(['.', '['], i);
                end = end < 0 ? field.Length : end;
                step = field[i..end];
                i = end;
            }

            parent = node;
            last = step;
            node = step is int index ? node?.AsArray()[index] : node?.AsObject()[(string)step];
        }

        if (node is not JsonValue || parent is null)
        {
            throw new InvalidOperationException($"The request has no text at '{field}'.");
        }

        if (last is int at)
        {
            parent.AsArray()[at] = text;
        }
        else
        {
            parent.AsObject()[(string)last!] = text;
        }
    }
}
