using System.Text.Json;
using DemoModel.Http;

namespace DemoModel.OpenAi;

/// <summary><c>GET /v1/models</c> and the OpenAI model object.</summary>
internal static class ModelsEndpoint
{
    public static void Map(IEndpointRouteBuilder routes) =>
        routes.MapGet("/v1/models", context => JsonResponse.WriteAsync(context, StatusCodes.Status200OK, WriteList));

    public static Task WriteModelAsync(HttpContext context, string id) =>
        JsonResponse.WriteAsync(context, StatusCodes.Status200OK, writer => WriteModel(writer, id));

    private static void WriteList(Utf8JsonWriter writer)
    {
        writer.WriteStartObject();
        writer.WriteString("object", "list");
        writer.WriteStartArray("data");
        foreach (var id in ChatModelCatalog.Ids)
        {
            WriteModel(writer, id);
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteModel(Utf8JsonWriter writer, string id)
    {
        writer.WriteStartObject();
        writer.WriteString("id", id);
        writer.WriteString("object", "model");
        writer.WriteNumber("created", ChatModelCatalog.Created);
        writer.WriteString("owned_by", ChatModelCatalog.OwnedBy);
        writer.WriteEndObject();
    }
}
