using System.Text.Json;

namespace AiGuard.Protocols;

/// <summary>The only code that knows a wire format: turns bodies into the normalized views.</summary>
public interface IProtocolAdapter
{
    /// <summary>The protocol name routes refer to (see <see cref="ProtocolNames"/>).</summary>
    string Name { get; }

    /// <summary>Recognises the operation of a request; null when the protocol has no such operation.</summary>
    ProtocolOperation? Match(string method, string path);

    /// <summary>Builds the request view; throws <see cref="ProtocolViolationException"/> naming the field.</summary>
    /// <param name="body">The parsed body, or null for an operation without one.</param>
    InferenceRequest ParseRequest(ProtocolOperation operation, JsonElement? body);

    /// <summary>Builds the response view from a JSON response body.</summary>
    InferenceResponse ParseResponse(ProtocolOperation operation, JsonElement body);
}
