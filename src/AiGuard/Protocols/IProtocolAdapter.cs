using System.Buffers;
using AiGuard.Protocols.Json;

namespace AiGuard.Protocols;

/// <summary>The only code that knows a wire format: turns bodies into the normalized views and writes changes back.</summary>
public interface IProtocolAdapter
{
    /// <summary>The protocol name policies refer to (see <see cref="ProtocolNames"/>).</summary>
    string Name { get; }

    /// <summary>Recognises the operation of a request; null when the protocol has no such operation.</summary>
    ProtocolOperation? Match(string method, string path);

    /// <summary>
    /// Builds the request view in one pass over the body, within <paramref name="limits"/>; throws
    /// <see cref="ProtocolViolationException"/> naming the field and the problem code.
    /// </summary>
    /// <param name="body">The body; empty for an operation without one.</param>
    InferenceRequest ParseRequest(ProtocolOperation operation, ReadOnlySpan<byte> body, JsonReadLimits limits);

    /// <summary>
    /// Builds the response view of an operation that has one (<see cref="ProtocolOperation.HasInferenceResponse"/>)
    /// from a JSON body or one SSE event's data; throws <see cref="ProtocolViolationException"/> when it does not fit the protocol.
    /// </summary>
    InferenceResponse ParseResponse(ProtocolOperation operation, ReadOnlySpan<byte> body);

    /// <summary>Writes <paramref name="original"/> with the changes made to <paramref name="response"/> (built from it).</summary>
    void WriteResponse(ReadOnlySpan<byte> original, InferenceResponse response, IBufferWriter<byte> output) =>
        JsonSplicer.Write(original, response, output);
}
