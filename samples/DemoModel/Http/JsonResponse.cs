using System.Text.Json;

namespace DemoModel.Http;

/// <summary>Writes a JSON response straight into the response pipe.</summary>
internal static class JsonResponse
{
    public static async Task WriteAsync(HttpContext context, int statusCode, Action<Utf8JsonWriter> write)
    {
        context.Response.StatusCode = statusCode;
        context.Response.ContentType = "application/json";
        using (var writer = new Utf8JsonWriter(context.Response.BodyWriter))
        {
            write(writer);
            writer.Flush();
        }

        await context.Response.BodyWriter.FlushAsync(context.RequestAborted);
    }
}
