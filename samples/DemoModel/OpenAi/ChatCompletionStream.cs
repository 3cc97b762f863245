using System.Buffers;
using System.Text.Json;
using Microsoft.AspNetCore.Http.Features;

namespace DemoModel.OpenAi;

/// <summary>Streams a <see cref="ChatCompletion"/> as server-sent events, one flushed event per token.</summary>
internal static class ChatCompletionStream
{
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
        using var writer = new Utf8JsonWriter(response.BodyWriter);
        foreach (var choice in completion.Choices)
        {
            await WriteEventAsync(response, writer, w => ChatCompletionJson.WriteRoleChunk(w, completion, choice), cancellation);
            for (var i = 0; i < choice.Tokens.Count; i++)
            {
                var tokenIndex = i;
                await WriteEventAsync(response, writer, w => ChatCompletionJson.WriteContentChunk(w, completion, choice, tokenIndex), cancellation);
            }

            await WriteEventAsync(response, writer, w => ChatCompletionJson.WriteFinishChunk(w, completion, choice), cancellation);
        }

        // Sent whatever stream_options says: the gateway meters tokens from this chunk.
        await WriteEventAsync(response, writer, w => ChatCompletionJson.WriteUsageChunk(w, completion), cancellation);
        response.BodyWriter.Write(Done);
        await response.BodyWriter.FlushAsync(cancellation);
    }

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
