using System.Text.Json;
using System.Text.Json.Nodes;
using AiGuard.Inspection.Input;

namespace AiGuard.Protocols.OpenAi;

/// <summary>Writes the changes request stages made (top-level members set to a number or removed) into an OpenAI request body.</summary>
public static class RequestRewrite
{
    private static readonly JsonWriterOptions Compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The body with <paramref name="edits"/> applied in order; every other member kept as sent.</summary>
    public static byte[] Apply(ReadOnlySpan<byte> body, IReadOnlyList<RequestEdit> edits)
    {
        // The body was validated already (depth, size, no repeated names): only its depth bound matters here.
        var root = JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { MaxDepth = 1024 })!.AsObject();
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

        using var buffer = new MemoryStream(body.Length);
        using (var writer = new Utf8JsonWriter(buffer, Compact))
        {
            root.WriteTo(writer);
        }

        return buffer.ToArray();
    }
}
