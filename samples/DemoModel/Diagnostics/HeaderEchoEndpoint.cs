using DemoModel.Http;

namespace DemoModel.Diagnostics;

/// <summary><c>GET /debug/headers</c>: the request headers as received, so tests can see what the gateway forwarded.</summary>
internal static class HeaderEchoEndpoint
{
    public const string Path = "/debug/headers";

    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapGet(Path, context => JsonResponse.WriteAsync(context, StatusCodes.Status200OK, writer =>
        {
            writer.WriteStartObject();
            foreach (var (name, values) in context.Request.Headers)
            {
                writer.WriteString(name.ToLowerInvariant(), values.ToString());
            }

            writer.WriteEndObject();
        }));
}
