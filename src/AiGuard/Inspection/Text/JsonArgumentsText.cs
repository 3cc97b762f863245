using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AiGuard.Inspection.Text;

/// <summary>
/// The text of a tool call's arguments as the tool will read it. Arguments are a JSON document in
/// a string; a value written with escapes (<c>"\u0034111 1111 1111 1111"</c>, <c>"bob\u0040example.com"</c>)
/// reads as plain text to the tool but hides from a guard that reads the escapes. So arguments
/// holding a backslash that parse as JSON are inspected, and written back when changed, as the
/// same document with only the escapes JSON requires.
/// </summary>
public static class JsonArgumentsText
{
    private static readonly JsonWriterOptions Relaxed = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>Arguments with their optional escapes resolved; the same instance when there is nothing to resolve or they are not JSON.</summary>
    public static string Decoded(string arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        if (!arguments.Contains('\\', StringComparison.Ordinal))
        {
            return arguments;
        }

        try
        {
            var node = JsonNode.Parse(arguments, documentOptions: new JsonDocumentOptions { MaxDepth = 64 });
            if (node is null)
            {
                return arguments;
            }

            using var buffer = new MemoryStream(arguments.Length);
            using (var writer = new Utf8JsonWriter(buffer, Relaxed))
            {
                node.WriteTo(writer);
            }

            return System.Text.Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
        catch (Exception e) when (e is JsonException or InvalidOperationException or ArgumentException)
        {
            // Not JSON (or a lone surrogate the writer refuses): inspected as it is.
            return arguments;
        }
    }
}
