using System.Text.Json;

namespace DemoModel.Http;

/// <summary>Reads a request body as one JSON document.</summary>
internal static class JsonBody
{
    public static async Task<JsonDocument> ReadAsync(HttpRequest request)
    {
        try
        {
            return await JsonDocument.ParseAsync(request.Body, default, request.HttpContext.RequestAborted);
        }
        catch (JsonException e)
        {
            throw DemoRequestException.BadRequest($"The request body is not valid JSON: {e.Message}");
        }
    }

    public static JsonElement RequireObject(JsonDocument document)
    {
        return document.RootElement.ValueKind == JsonValueKind.Object
            ? document.RootElement
            : throw DemoRequestException.BadRequest("The request body must be a JSON object.");
    }
}
