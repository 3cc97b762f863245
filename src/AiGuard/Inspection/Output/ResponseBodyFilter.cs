using System.Buffers;
using AiGuard.Pipeline;
using AiGuard.Protocols;
using Microsoft.AspNetCore.Http;

namespace AiGuard.Inspection.Output;

/// <summary>
/// Stands in for the response body while YARP copies the upstream's answer, so the response
/// stages see it: a JSON answer is held whole and written once inspected; an SSE stream is
/// passed on event by event as each event completes (a stream stays a stream).
/// </summary>
/// <remarks>
/// Installed only on routes whose policy has response-body stages; the response-head phase
/// (<see cref="Proxy.GatewayTransformProvider"/>) picks the mode from the upstream's status and
/// content type, and anything else passes through untouched.
/// </remarks>
public sealed class ResponseBodyFilter : Stream
{
    /// <summary>The largest single SSE event held back while it is incomplete.</summary>
    public const int MaxEventBytes = 1024 * 1024;

    private readonly Stream _inner;
    private readonly GuardContext _guard;
    private readonly StageRunner _stages;
    private readonly DecisionRecorder _recorder;
    private ArrayBufferWriter<byte>? _buffer;
    private bool _tooLarge;
    private ServerSentEvents? _events;
    private bool _cut;

    public ResponseBodyFilter(Stream inner, GuardContext guard, StageRunner stages, DecisionRecorder recorder)
    {
        _inner = inner;
        _guard = guard;
        _stages = stages;
        _recorder = recorder;
    }

    public enum FilterMode
    {
        /// <summary>Bytes go straight through (errors, metadata, anything not inspected).</summary>
        Passthrough,

        /// <summary>A JSON answer, held whole until it is inspected.</summary>
        WholeBody,

        /// <summary>A server-sent event stream, inspected one event at a time.</summary>
        Events,
    }

    public FilterMode Mode { get; private set; }

    /// <summary>The response body stream this filter stands in for.</summary>
    public Stream Inner => _inner;

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public void InspectWholeBody()
    {
        Mode = FilterMode.WholeBody;
        _buffer = new ArrayBufferWriter<byte>(4096);
    }

    public void InspectEvents()
    {
        Mode = FilterMode.Events;
        _events = new ServerSentEvents();
    }

    public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        switch (Mode)
        {
            case FilterMode.Passthrough:
                await _inner.WriteAsync(buffer, cancellationToken);
                return;
            case FilterMode.WholeBody:
                if (!_tooLarge)
                {
                    if (_buffer!.WrittenCount + (long)buffer.Length > _guard.Policy!.MaxResponseBytes)
                    {
                        _tooLarge = true;
                        _buffer = null;
                    }
                    else
                    {
                        _buffer.Write(buffer.Span);
                    }
                }

                return;
            default:
                if (_cut)
                {
                    return;
                }

                _events!.Append(buffer.Span);
                while (_events.TryTake(out var eventBytes))
                {
                    await ProcessEventAsync(eventBytes, cancellationToken);
                    if (_cut)
                    {
                        return;
                    }
                }

                if (_events.PendingBytes > MaxEventBytes)
                {
                    await CutAsync(Invalid($"An event of the model server's stream is larger than {MaxEventBytes} bytes."), StageNames.ParseResponse);
                }

                return;
        }
    }

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    public override void Write(byte[] buffer, int offset, int count) => WriteAsync(buffer, offset, count, CancellationToken.None).GetAwaiter().GetResult();

    public override Task FlushAsync(CancellationToken cancellationToken) =>
        Mode == FilterMode.WholeBody || _cut ? Task.CompletedTask : _inner.FlushAsync(cancellationToken);

    public override void Flush() => FlushAsync(CancellationToken.None).GetAwaiter().GetResult();

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    /// <summary>
    /// Called once YARP has copied the whole answer: inspects a held JSON body and writes it (or
    /// the refusal), or passes on what is left of a stream. The response body must be the inner stream again.
    /// </summary>
    public async ValueTask CompleteAsync(CancellationToken cancellationToken)
    {
        switch (Mode)
        {
            case FilterMode.WholeBody:
                await CompleteWholeBodyAsync(cancellationToken);
                return;
            case FilterMode.Events when !_cut:
                var rest = _events!.TakeRest();
                if (rest.Length > 0)
                {
                    await ProcessEventAsync(rest, cancellationToken);
                }

                return;
        }
    }

    private async ValueTask CompleteWholeBodyAsync(CancellationToken cancellationToken)
    {
        if (_tooLarge)
        {
            await _recorder.RefuseAsync(_guard, StageNames.ParseResponse, GuardDecision.Refuse(
                StatusCodes.Status502BadGateway,
                ProblemCodes.ResponseTooLarge,
                $"The model server's answer is larger than the {_guard.Policy!.MaxResponseBytes} bytes AiGuard inspects, so it is not passed on."));
            return;
        }

        var body = _buffer!.WrittenMemory;
        InferenceResponse response;
        try
        {
            response = _guard.Policy!.Adapter.ParseResponse(_guard.Operation!, body.Span);
        }
        catch (ProtocolViolationException)
        {
            await _recorder.RefuseAsync(_guard, StageNames.ParseResponse, Invalid("The model server's answer is not valid for its protocol, so it could not be inspected."));
            return;
        }

        var (decision, stage) = _stages.RunResponse(_guard, response);
        if (decision.IsRefusal)
        {
            await _recorder.RefuseAsync(_guard, stage, decision);
            return;
        }

        var output = body;
        if (response.IsModified)
        {
            var rewritten = new ArrayBufferWriter<byte>(body.Length + 64);
            _guard.Policy!.Adapter.WriteResponse(body.Span, response, rewritten);
            output = rewritten.WrittenMemory;
        }

        _guard.HttpContext.Response.ContentLength = output.Length;
        await _inner.WriteAsync(output, cancellationToken);
    }

    private async ValueTask ProcessEventAsync(byte[] eventBytes, CancellationToken cancellationToken)
    {
        var data = ServerSentEvents.Data(eventBytes, out var hasData).ToArray();
        if (!hasData)
        {
            await _inner.WriteAsync(eventBytes, cancellationToken);
            return;
        }

        InferenceResponse response;
        if (data.AsSpan().Trim((byte)' ').SequenceEqual("[DONE]"u8))
        {
            response = new InferenceResponse { Protocol = _guard.Policy!.Protocol, IsStreamChunk = true, IsEndOfStream = true };
        }
        else
        {
            try
            {
                response = _guard.Policy!.Adapter.ParseResponse(_guard.Operation!, data);
            }
            catch (ProtocolViolationException)
            {
                await CutAsync(Invalid("An event of the model server's stream is not valid for its protocol, so the stream was cut."), StageNames.ParseResponse);
                return;
            }
        }

        var (decision, stage) = _stages.RunResponse(_guard, response);
        if (decision.IsRefusal)
        {
            await CutAsync(decision, stage);
            return;
        }

        if (!response.IsModified)
        {
            await _inner.WriteAsync(eventBytes, cancellationToken);
            return;
        }

        var rewritten = new ArrayBufferWriter<byte>(eventBytes.Length + 64);
        rewritten.Write("data: "u8);
        _guard.Policy!.Adapter.WriteResponse(data, response, rewritten);
        rewritten.Write("\n\n"u8);
        await _inner.WriteAsync(rewritten.WrittenMemory, cancellationToken);
    }

    /// <summary>Stops passing the stream on: a problem answer if nothing was sent yet, else a final SSE error event.</summary>
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
        errorEvent.Write("event: error\ndata: "u8);
        ProblemWriter.Write(errorEvent, decision, http.Request.Path.Value ?? "/", _guard.IncidentId, ProblemWriter.WantsOpenAiError(_guard));
        errorEvent.Write("\n\n"u8);
        await _inner.WriteAsync(errorEvent.WrittenMemory, http.RequestAborted);
        await _inner.FlushAsync(http.RequestAborted);
    }

    private static GuardDecision Invalid(string detail) =>
        GuardDecision.Refuse(StatusCodes.Status502BadGateway, ProblemCodes.UpstreamInvalidResponse, detail);
}
