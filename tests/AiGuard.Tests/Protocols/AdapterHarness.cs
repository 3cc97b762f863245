using System.Text;
using AiGuard.Protocols;
using AiGuard.Protocols.Json;

namespace AiGuard.Tests.Protocols;

internal static class AdapterHarness
{
    public static readonly JsonReadLimits Limits = new(64, 100_000);

    public static InferenceRequest Parse(IProtocolAdapter adapter, string method, string path, string? json, JsonReadLimits? limits = null)
    {
        var operation = adapter.Match(method, path) ?? throw new InvalidOperationException($"{method} {path} did not match");
        return adapter.ParseRequest(operation, json is null ? [] : Encoding.UTF8.GetBytes(json), limits ?? Limits);
    }

    public static ProtocolViolationException Violation(IProtocolAdapter adapter, string method, string path, string json, JsonReadLimits? limits = null) =>
        Assert.Throws<ProtocolViolationException>(() => Parse(adapter, method, path, json, limits));

    public static InferenceResponse Response(IProtocolAdapter adapter, string method, string path, string json)
    {
        var operation = adapter.Match(method, path)!;
        return adapter.ParseResponse(operation, Encoding.UTF8.GetBytes(json));
    }

    /// <summary>Writes a response back after a change, as the gateway would.</summary>
    public static string Rewrite(IProtocolAdapter adapter, string json, InferenceResponse response)
    {
        var output = new System.Buffers.ArrayBufferWriter<byte>();
        adapter.WriteResponse(Encoding.UTF8.GetBytes(json), response, output);
        return Encoding.UTF8.GetString(output.WrittenSpan);
    }
}
