using DemoModel.Classifier;
using DemoModel.Http;

namespace DemoModel.TfServing;

/// <summary>TF-Serving's model status: <c>GET /v1/models/{name}[/versions/{version}]</c>.</summary>
internal static class ModelStatusEndpoint
{
    public static Task HandleAsync(HttpContext context, string name, string? version)
    {
        try
        {
            ClassifierAddress.EnsureExists(name, version);
        }
        catch (DemoRequestException e)
        {
            return PlainError.WriteAsync(context, e);
        }

        return JsonResponse.WriteAsync(context, StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartObject();
            writer.WriteStartArray("model_version_status");
            writer.WriteStartObject();
            writer.WriteString("version", DemoClassifier.Version);
            writer.WriteString("state", "AVAILABLE");
            writer.WriteStartObject("status");
            writer.WriteString("error_code", "OK");
            writer.WriteString("error_message", string.Empty);
            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteEndArray();
            writer.WriteEndObject();
        });
    }
}
