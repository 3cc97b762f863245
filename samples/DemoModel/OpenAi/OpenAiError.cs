using DemoModel.Http;

namespace DemoModel.OpenAi;

/// <summary>OpenAI's error shape: <c>{"error":{"message","type","param","code"}}</c>.</summary>
internal static class OpenAiError
{
    public static Task WriteAsync(HttpContext context, DemoRequestException error) =>
        WriteAsync(context, error.StatusCode, error.Message, TypeFor(error.StatusCode), error.Param, error.Code);

    public static Task WriteAsync(HttpContext context, int statusCode, string message, string type, string? param, string? code) =>
        JsonResponse.WriteAsync(context, statusCode, writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartObject("error");
            writer.WriteString("message", message);
            writer.WriteString("type", type);
            writer.WriteString("param", param);
            writer.WriteString("code", code);
            writer.WriteEndObject();
            writer.WriteEndObject();
        });

    private static string TypeFor(int statusCode) =>
        statusCode >= 500 ? "server_error" : "invalid_request_error";
}
