using System.Buffers;
using AiGuard.Pipeline;
using AiGuard.Protocols;
using Microsoft.AspNetCore.Http;

namespace AiGuard.Inspection.Output;

/// <summary>
/// Stands in for the response body while YARP copies an upstream's server-sent event stream, so
/// the response stages see each event: an event is passed on as soon as it is complete and
/// inspected (a stream stays a stream), and only an incomplete event is held back.
/// </summary>
/// <remarks>
/// Installed by the response-head phase (<see cref="Proxy.GatewayTransformProvider"/>) for
/// <c>text/event-stream</c> answers on routes with response-body stages; YARP keeps copying (and
/// resetting its activity timeout) as for any stream.
/// </remarks>
public sealed class EventStreamFilter : Stream
{
    /// <summary>The largest single SSE event held back while it is incomplete.</summary>
    public const int MaxEventBytes = 1024 * 1024;

    private readonly Stream _inner;
    private readonly GuardContext _guard;
    private readonly StageRunner _stages;
    private readonly DecisionRecorder _recorder;
    private readonly ServerSentEvents _events = new();
    private readonly ArrayBufferWriter<byte> _output = new(4096);
    private bool _cut;

    public EventStreamFilter(Stream inner, GuardContext guard, StageRunner stages, DecisionRecorder recorder)
    {
        _inner = inner;
        _guard = guard;
        _stages = stages;
        _recorder = recorder;
    }

    /// <summary>The response body stream this filter stands in for.</summary>
    public Stream Inner => _inner;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (_cut)
        {
            return;
        }

        // Every event that completes in this read goes out in one write, as YARP would have sent
        // the read: one write per event would cost a flush (a send) each.
        _output.ResetWrittenCount();
        _events.Append(buffer.Span);
        (GuardDecision Decision, string Stage) cut = default;
        while (_events.TryTake(out var eventBytes))
        {
            cut = ProcessEvent(eventBytes, _output);
            if (cut.Decision.IsRefusal)
            {
                break;
            }
        }

        if (!cut.Decision.IsRefusal && _events.PendingBytes > MaxEventBytes)
        {
            cut = (Invalid($"An event of the model server's stream is larger than {MaxEventBytes} bytes."), StageNames.ParseResponse);
        }

        if (_output.WrittenCount > 0)
        {
            await _inner.WriteAsync(_output.WrittenMemory, cancellationToken);
        }

        if (cut.Decision.IsRefusal)
        {
            await CutAsync(cut.Decision, cut.Stage ?? StageNames.ParseResponse);
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override Task FlushAsync(CancellationToken cancellationToken) =>
        _cut ? Task.CompletedTask : _inner.FlushAsync(cancellationToken);

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>
    /// Called once YARP has copied the whole stream: passes on what is left (an event without its
    /// closing blank line). The response body must be the inner stream again.
    /// </summary>
    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        if (_cut)
        {
            return;
        }

        var rest = _events.TakeRest();
        if (rest.Length == 0)
        {
            return;
        }

        _output.ResetWrittenCount();
        var (decision, stage) = ProcessEvent(rest, _output);
        if (_output.WrittenCount > 0)
        {
            await _inner.WriteAsync(_output.WrittenMemory, cancellationToken);
        }

        if (decision.IsRefusal)
        {
            await CutAsync(decision, stage);
        }
    }

    /// <summary>Inspects one event and writes what the client gets of it; a refusal is returned, not yet recorded.</summary>
    private (GuardDecision Decision, string Stage) ProcessEvent(byte[] eventBytes, ArrayBufferWriter<byte> output)
    {
        var data = ServerSentEvents.Data(eventBytes, out var hasData);
        if (!hasData)
        {
            output.Write(eventBytes);
            return default;
        }

        InferenceResponse response;
        if (data.Trim((byte)' ').SequenceEqual("[DONE]"u8))
        {
            response = new InferenceResponse { Protocol = _guard.Policy!.Protocol, IsStreamChunk = true, IsEndOfStream = true };
        }
        else
        {
            try
            {
                response = _guard.Policy!.Adapter.ParseResponse(_guard.Operation!, data);

                // An event of a stream is a piece of one, whether or not it says so ("object"): the
                // stages hold back what could continue in the next event.
                response.IsStreamChunk = true;
            }
            catch (ProtocolViolationException)
            {
                return (Invalid("An event of the model server's stream is not valid for its protocol, so the stream was cut."), StageNames.ParseResponse);
            }
        }

        var (decision, stage) = _stages.RunResponse(_guard, response);
        if (decision.IsRefusal)
        {
            return (decision, stage);
        }

        if (response.IsSuppressed)
        {
            return default;
        }

        if (!response.IsModified)
        {
            output.Write(eventBytes);
            return default;
        }

        output.Write("data: "u8);
        _guard.Policy!.Adapter.WriteResponse(data, response, output);
        output.Write("\n\n"u8);
        return default;
    }

    /// <summary>Stops passing the stream on: a problem answer if nothing was sent yet, else a final SSE error event (then <c>[DONE]</c> on OpenAI routes).</summary>
    private async ValueTask CutAsync(GuardDecision decision, string stage)
    {
        _cut = true;
        var http = _guard.HttpContext;
        if (!http.Response.HasStarted)
        {
            http.Response.Body = _inner;
            await _recorder.RefuseAsync(_guard, stage, decision);
            return;
        }

        await _recorder.RefuseAsync(_guard, stage, decision);
        var errorEvent = new ArrayBufferWriter<byte>(512);
        var openAi = ProblemWriter.WantsOpenAiError(_guard);
        errorEvent.Write("event: error\ndata: "u8);
        ProblemWriter.Write(errorEvent, decision, http.Request.Path.Value ?? "/", _guard.IncidentId, openAi);
        errorEvent.Write("\n\n"u8);
        if (openAi)
        {
            // The OpenAI SDKs raise the error event's error object; a client that reads on still sees a stream that ends.
            errorEvent.Write("data: [DONE]\n\n"u8);
        }

        await _inner.WriteAsync(errorEvent.WrittenMemory, http.RequestAborted);
        await _inner.FlushAsync(http.RequestAborted);
    }

    internal static GuardDecision Invalid(string detail) =>
        GuardDecision.Refuse(StatusCodes.Status502BadGateway, ProblemCodes.UpstreamInvalidResponse, detail);
}
