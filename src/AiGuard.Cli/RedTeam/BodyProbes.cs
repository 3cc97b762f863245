using System.Net.Http.Headers;
using System.Text;

namespace AiGuard.Cli.RedTeam;

/// <summary>Oversized and malformed bodies: every one must be refused before it reaches the model.</summary>
internal static class BodyProbes
{
    public const string Category = "bodies";

    /// <summary>Four times AiGuard's default <c>MaxBodyBytes</c> (1 MiB).</summary>
    public const int OversizedBytes = 4 * 1024 * 1024;

    /// <summary>Deeper than AiGuard's default <c>MaxJsonDepth</c> (32) and than most parsers allow.</summary>
    public const int Depth = 512;

    /// <summary>More than AiGuard's default <c>MaxJsonElements</c> (100,000), in about 300 KB.</summary>
    public const int Elements = 150_000;

    private static readonly string[] ParseCodes = ["malformed_json", "invalid_body"];

    public static IEnumerable<Probe> All()
    {
        yield return Chat("oversized-body", "413 body_too_large", c => Oversized(c), ["body_too_large"]);
        yield return Chat("oversized-chunked-body", "413 body_too_large", c => Oversized(c), ["body_too_large"], chunked: true);
        yield return Chat("truncated-json", "400 malformed_json", c => Json(c.Settings.ChatBody("Hello")[..^12]), ParseCodes);
        yield return Chat("empty-body", "400 malformed_json or invalid_body", _ => Array.Empty<byte>(), ParseCodes);
        yield return Chat("messages-not-an-array", "400 invalid_body", c => Json($$"""{"model":{{RedTeamSettings.Json(c.Settings.ChatModel)}},"messages":"Hello"}"""), ParseCodes);
        yield return Chat("max-tokens-not-a-number", "400 invalid_body", c => Json(c.Settings.ChatBody("Hello", ",\"max_tokens\":\"lots\"")), ParseCodes);
        yield return Chat("duplicate-model-key", "400 malformed_json", c => Json($$"""{"model":{{RedTeamSettings.Json(c.Settings.ChatModel)}},"model":"other-model","messages":[{"role":"user","content":"Hello"}]}"""), ParseCodes);
        yield return Chat("deep-nesting", "400 json_too_deep", c => Json(c.Settings.ChatBody("Hello", ",\"metadata\":" + new string('[', Depth) + new string(']', Depth))), ["json_too_deep", .. ParseCodes]);
        yield return Chat("too-many-elements", "400 json_too_many_elements", c => Json(c.Settings.ChatBody("Hello", ",\"metadata\":[" + string.Join(',', Enumerable.Repeat('0', Elements)) + "]")), ["json_too_many_elements", .. ParseCodes]);
        yield return Chat("invalid-utf8", "400 invalid_body", c => InvalidUtf8(c), ParseCodes);
        yield return Chat("lone-surrogate", "400 invalid_body", c => Json(c.Settings.ChatBody("Hello").Replace("Hello", "Hel\\ud800lo", StringComparison.Ordinal)), ParseCodes);
        yield return Chat("content-type-text-plain", "415 unsupported_media_type", c => Json(c.Settings.ChatBody("Hello")), ["unsupported_media_type"], "text/plain");
        yield return Chat("content-type-form", "415 unsupported_media_type", _ => Encoding.UTF8.GetBytes("model=demo&prompt=Hello"), ["unsupported_media_type"], "application/x-www-form-urlencoded");
        yield return Chat("charset-utf16", "415 unsupported_media_type", c => Encoding.Unicode.GetBytes(c.Settings.ChatBody("Hello")), ["unsupported_media_type"], "application/json; charset=utf-16");
        yield return Post("oip-shape-mismatch", "400 tensor_shape_mismatch", c => c.Settings.OipPath,
            _ => Json("""{"inputs":[{"name":"features","shape":[1,4],"datatype":"FP32","data":[5.1,3.5,1.4]}]}"""), ["tensor_shape_mismatch", .. ParseCodes]);
        yield return Post("oip-strings-as-fp32", "400 invalid_body", c => c.Settings.OipPath,
            _ => Json("""{"inputs":[{"name":"features","shape":[1,4],"datatype":"FP32","data":["a","b","c","d"]}]}"""), ParseCodes);
        yield return Post("tf-instances-not-a-list", "400 invalid_body", c => c.Settings.TfPath, _ => Json("""{"instances":"all of them"}"""), ParseCodes);
    }

    private static Probe Chat(string name, string expectation, Func<RedTeamClient, byte[]> body, string[] codes, string contentType = "application/json", bool chunked = false) =>
        Post(name, expectation, c => c.Settings.ChatPath, body, codes, contentType, chunked);

    private static Probe Post(string name, string expectation, Func<RedTeamClient, string> path, Func<RedTeamClient, byte[]> body, string[] codes, string contentType = "application/json", bool chunked = false) =>
        new(Category, name, "refused " + expectation, async (client, cancellationToken) =>
        {
            var bytes = body(client);
            HttpRequestMessage Build()
            {
                var request = client.Request(HttpMethod.Post, path(client));
                request.Content = chunked
                    ? new StreamContent(new UnknownLength(bytes))
                    : new ByteArrayContent(bytes);
                request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
                // An oversized body announced by its length waits for "100 Continue", so a gateway
                // can refuse it before it is sent (an HTTP/1.1 server may close the connection on
                // a body it will not read, and the answer is then lost under the upload).
                request.Headers.ExpectContinue = bytes.Length > OversizedBytes && !chunked;
                return request;
            }

            var response = await client.SendAsync(Build(), cancellationToken);

            // A gateway refusing an oversized body may still close the connection while the rest
            // of it is being sent (a chunked body cannot be refused before it starts), and the
            // answer is then lost on the way, as a drop or a reset: send it once more (another
            // request of the budget); a second loss is reported as the gateway's failure.
            if (bytes.Length > OversizedBytes && response.Failure is { } failure && IsLostUnderUpload(failure))
            {
                response = await client.SendAsync(Build(), cancellationToken);
            }

            return Judge.Refused(response, codes);
        });

    private static byte[] Json(string json) => Encoding.UTF8.GetBytes(json);

    /// <summary>A transport failure that can mean an answer lost under an upload: not a refused connection and not a timeout.</summary>
    private static bool IsLostUnderUpload(string failure) =>
        failure.StartsWith("connection dropped", StringComparison.Ordinal)
        || failure.StartsWith("connection failed", StringComparison.Ordinal)
        || failure.StartsWith("request failed", StringComparison.Ordinal);

    private static byte[] Oversized(RedTeamClient client) =>
        Json(client.Settings.ChatBody("Summarize: " + new string('A', OversizedBytes)));

    private static byte[] InvalidUtf8(RedTeamClient client)
    {
        var json = Json(client.Settings.ChatBody("Hello XX"));
        var at = Array.IndexOf(json, (byte)'X');
        json[at] = 0xC3;
        json[at + 1] = 0x28;
        return json;
    }

    /// <summary>A stream whose length is unknown, so HttpClient sends it chunked.</summary>
    private sealed class UnknownLength(byte[] bytes) : MemoryStream(bytes)
    {
        public override bool CanSeek => false;
    }
}
