using System.Text.Json.Nodes;

namespace AiGuard.Protocols.OpenAi;

/// <summary>Asks an OpenAI-compatible upstream for the usage report of a streamed completion.</summary>
public static class StreamUsage
{
    /// <summary>The request body with <c>stream_options.include_usage</c> set to true; every other member kept as sent.</summary>
    /// <remarks>Only streamed requests on routes with a token budget whose client did not ask for usage take this path.</remarks>
    public static byte[] Request(ReadOnlySpan<byte> body) =>
        RequestRewrite.Rewrite(body, root =>
        {
            if (root["stream_options"] is not JsonObject options)
            {
                options = [];
                root["stream_options"] = options;
            }

            options["include_usage"] = true;
        });
}
