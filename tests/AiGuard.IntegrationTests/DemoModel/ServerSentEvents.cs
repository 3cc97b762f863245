using System.Text.Json;

namespace AiGuard.IntegrationTests.DemoModel;

/// <summary>Splits a whole <c>text/event-stream</c> body into its <c>data:</c> payloads.</summary>
internal static class ServerSentEvents
{
    public static List<string> DataPayloads(string body)
    {
        var events = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries);
        Assert.All(events, e => Assert.StartsWith("data: ", e, StringComparison.Ordinal));
        return events.Select(e => e["data: ".Length..]).ToList();
    }

    public static List<JsonElement> JsonChunks(IEnumerable<string> payloads) =>
        payloads.Select(p =>
        {
            using var document = JsonDocument.Parse(p);
            return document.RootElement.Clone();
        }).ToList();
}
