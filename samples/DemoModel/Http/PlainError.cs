namespace DemoModel.Http;

/// <summary>The <c>{"error":"..."}</c> shape that KServe/Triton and TF-Serving both answer with.</summary>
internal static class PlainError
{
    public static Task WriteAsync(HttpContext context, DemoRequestException error) =>
        WriteAsync(context, error.StatusCode, error.Message);

    public static Task WriteAsync(HttpContext context, int statusCode, string message) =>
        JsonResponse.WriteAsync(context, statusCode, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("error", message);
            writer.WriteEndObject();
        });
}
