using System.Text.Json;
using System.Text.Json.Nodes;

namespace AiGuard.Protocols.OpenAi;

/// <summary>Asks an OpenAI-compatible upstream for the usage report of a streamed completion.</summary>
public static class StreamUsage
{
    private static readonly JsonWriterOptions Compact = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    /// <summary>The request body with <c>stream_options.include_usage</c> set to true; every other member kept as sent.</summary>
    /// <remarks>Only streamed requests on routes with a token budget whose client did not ask for usage take this path.</remarks>
    public static byte[] Request(ReadOnlySpan<byte> body)
    {
        // The body was validated already (depth, size, no repeated names): only its depth bound matters here.
        var root = JsonNode.Parse(body, documentOptions: new JsonDocumentOptions { MaxDepth = 1024 })!.AsObject();
        if (root["stream_options"] is not JsonObject options)
        {
            options = [];
            root["stream_options"] = options;
        }

        options["include_usage"] = true;
        using var buffer = new MemoryStream(body.Length + 48);
        using (var writer = new Utf8JsonWriter(buffer, Compact))
        {
            root.WriteTo(writer);
        }

        return buffer.ToArray();
    }
}
