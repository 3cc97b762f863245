using System.Text.Json;
using AiGuard.Protocols;

namespace AiGuard.Tests.Protocols;

internal static class AdapterHarness
{
    public static InferenceRequest Parse(IProtocolAdapter adapter, string method, string path, string? json)
    {
        var operation = adapter.Match(method, path) ?? throw new InvalidOperationException($"{method} {path} did not match");
        if (json is null)
        {
            return adapter.ParseRequest(operation, null);
        }

        using var document = JsonDocument.Parse(json);
        return adapter.ParseRequest(operation, document.RootElement.Clone());
    }

    public static ProtocolViolationException Violation(IProtocolAdapter adapter, string method, string path, string json) =>
        Assert.Throws<ProtocolViolationException>(() => Parse(adapter, method, path, json));

    public static InferenceResponse Response(IProtocolAdapter adapter, string method, string path, string json)
    {
        var operation = adapter.Match(method, path)!;
        using var document = JsonDocument.Parse(json);
        return adapter.ParseResponse(operation, document.RootElement.Clone());
    }
}
