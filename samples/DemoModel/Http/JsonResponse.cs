using System.Buffers;
using System.Text.Json;

namespace DemoModel.Http;

/// <summary>Writes a JSON response whole, with its Content-Length, as model servers answer a unary call.</summary>
internal static class JsonResponse
{
    /// <summary>Set in a request's items (the <c>chunked</c> fault): the answer goes out chunked, in small flushed pieces, with no Content-Length.</summary>
    public const string ChunkedItem = "demo.chunked";

    private const int ChunkBytes = 16;

    public static async Task WriteAsync(HttpContext context, int statusCode, Action<Utf8JsonWriter> write)
    {
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "application/json";
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            write(writer);
        }

        if (!context.Items.ContainsKey(ChunkedItem))
        {
            context.Response.ContentLength = buffer.WrittenCount;
            await context.Response.Body.WriteAsync(buffer.WrittenMemory, context.RequestAborted);
            return;
        }

        for (var start = 0; start < buffer.WrittenCount; start += ChunkBytes)
        {
            var piece = buffer.WrittenMemory[start..Math.Min(buffer.WrittenCount, start + ChunkBytes)];
            await context.Response.BodyWriter.WriteAsync(piece, context.RequestAborted);
        }
    }
}
