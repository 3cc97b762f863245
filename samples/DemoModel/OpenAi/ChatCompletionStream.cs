using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;

namespace DemoModel.OpenAi;

/// <summary>Streams a <see cref="ChatCompletion"/> as server-sent events, one flushed event per token.</summary>
/// <remarks>
/// Two request headers shape the stream like a real model's, for measuring a gateway's stream
/// filter: <c>x-demo-chunk-chars: N</c> sends the reply in pieces of N characters instead of
/// tokens, and <c>x-demo-chunk-delay-ms: M</c> waits M ms before each content event.
/// </remarks>
internal static class ChatCompletionStream
{
    public const string ChunkCharsHeader = "x-demo-chunk-chars";
    public const string ChunkDelayHeader = "x-demo-chunk-delay-ms";

    private static ReadOnlySpan<byte> DataPrefix => "data: "u8;

    private static ReadOnlySpan<byte> EventEnd => "\n\n"u8;

    private static ReadOnlySpan<byte> Done => "data: [DONE]\n\n"u8;

    public static async Task WriteAsync(HttpContext context, ChatCompletion completion)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream; charset=utf-8";
        response.Headers.CacheControl = "no-cache";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();

        var cancellation = context.RequestAborted;
        var pieceChars = Switch(context.Request, ChunkCharsHeader, 1, 4096);
        var delay = TimeSpan.FromMilliseconds(Switch(context.Request, ChunkDelayHeader, 0, 10_000));
        using var writer = new Utf8JsonWriter(response.BodyWriter);
        foreach (var choice in completion.Choices)
        {
            await WriteEventAsync(response, writer, w => ChatCompletionJson.WriteRoleChunk(w, completion, choice), cancellation);
            if (pieceChars > 0)
            {
                var content = choice.Content;
                for (var start = 0; start < content.Length; start += pieceChars)
                {
                    var piece = content.Substring(start, Math.Min(pieceChars, content.Length - start));
                    await Task.Delay(delay, cancellation);
                    await WriteEventAsync(response, writer, w => ChatCompletionJson.WritePieceChunk(w, completion, choice, piece), cancellation);
                }
            }

            for (var i = 0; pieceChars == 0 && i < choice.Tokens.Count; i++)
            {
                var tokenIndex = i;
                await Task.Delay(delay, cancellation);
                await WriteEventAsync(response, writer, w => ChatCompletionJson.WriteContentChunk(w, completion, choice, tokenIndex), cancellation);
            }

            await WriteEventAsync(response, writer, w => ChatCompletionJson.WriteFinishChunk(w, completion, choice), cancellation);
        }

        // Sent whatever stream_options says: the gateway meters tokens from this chunk.
        await WriteEventAsync(response, writer, w => ChatCompletionJson.WriteUsageChunk(w, completion), cancellation);
        response.BodyWriter.Write(Done);
        await response.BodyWriter.FlushAsync(cancellation);
    }

    /// <summary>A whole-number header within bounds; 0 when absent or out of bounds.</summary>
    private static int Switch(HttpRequest request, string header, int min, int max) =>
        int.TryParse(request.Headers[header].ToString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var value) && value >= min && value <= max ? value : 0;

    private static async Task WriteEventAsync(HttpResponse response, Utf8JsonWriter writer, Action<Utf8JsonWriter> write, CancellationToken cancellation)
    {
        response.BodyWriter.Write(DataPrefix);
        writer.Reset();
        write(writer);
        writer.Flush();
        response.BodyWriter.Write(EventEnd);
        await response.BodyWriter.FlushAsync(cancellation);
    }
}
