using DemoModel.Http;

namespace DemoModel.OpenInference;

/// <summary>The server-level routes of the Open Inference Protocol: metadata, liveness, readiness.</summary>
internal static class HealthEndpoints
{
    public const string LivePath = "/v2/health/live";
    public const string ReadyPath = "/v2/health/ready";

    public static void Map(IEndpointRouteBuilder routes)
    {
        routes.MapGet("/v2", context => JsonResponse.WriteAsync(context, StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("name", "aiguard-demo-model");
            writer.WriteString("version", "1.0");
            writer.WriteStartArray("extensions");
            writer.WriteEndArray();
            writer.WriteEndObject();
        }));
        routes.MapGet(LivePath, context => WriteFlagAsync(context, "live"));

        // The classifier is trained before the server starts listening, so ready from the first request.
        routes.MapGet(ReadyPath, context => WriteFlagAsync(context, "ready"));
    }

    private static Task WriteFlagAsync(HttpContext context, string name) =>
        JsonResponse.WriteAsync(context, StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartObject();
            writer.WriteBoolean(name, true);
            writer.WriteEndObject();
        });
}
