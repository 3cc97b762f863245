using System.Text;
using AiGuard.Inspection.Output;
using AiGuard.Protocols;
using AiGuard.Protocols.Json;
using AiGuard.Telemetry;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Forwarder;

namespace AiGuard.Pipeline;

/// <summary>
/// The AI-specific part of the walk, inside YARP's proxy pipeline: parse the body through the
/// route's protocol adapter, run the request stages, forward, map forwarding failures, and run
/// the response stages on the answer.
/// </summary>
public sealed partial class GuardPipeline
{
    private readonly DecisionRecorder _recorder;
    private readonly StageRunner _stages;
    private readonly PipelineMetrics _metrics;
    private readonly GenAiMetrics? _genAi;
    private readonly ILogger<GuardPipeline> _logger;

    public GuardPipeline(DecisionRecorder recorder, StageRunner stages, ILogger<GuardPipeline> logger, GenAiMetrics? genAi = null)
    {
        _recorder = recorder;
        _stages = stages;
        _metrics = recorder.Metrics;
        _genAi = genAi;
        _logger = logger;
    }

    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var guard = GuardContext.Get(context) ?? throw new InvalidOperationException("GuardMiddleware must run before the proxy pipeline.");
        var policy = guard.Policy!;
        guard.Started = System.Diagnostics.Stopwatch.GetTimestamp();
        EventStreamFilter? filter = null;
        try
        {
            // Parse: operation, body, adapter. Every step completes synchronously on the common path.
            var refusal = MatchOperation(guard);
            if (refusal.IsRefusal)
            {
                await _recorder.RefuseAsync(guard, StageNames.Parse, refusal);
                return;
            }

            var reading = RequestBody.ReadAsync(context, policy, guard.Operation!.HasBody);
            var (outcome, body, bodyRefusal) = reading.IsCompletedSuccessfully ? reading.Result : await reading;
            switch (outcome)
            {
                case RequestBody.Outcome.Refused:
                    await _recorder.RefuseAsync(guard, bodyRefusal.Code == ProblemCodes.BodyTooLarge ? StageNames.Limits : StageNames.Parse, bodyRefusal);
                    return;
                case RequestBody.Outcome.ClientGone:
                    return;
            }

            refusal = Parse(guard, body);
            if (refusal.IsRefusal)
            {
                await _recorder.RefuseAsync(guard, StageNames.Parse, refusal);
                return;
            }

            var stages = policy.RequestStages;
            for (var i = 0; i < stages.Length; i++)
            {
                var stage = stages[i];
                GuardDecision decision;
                using (_metrics.Time(stage.Name))
                {
                    try
                    {
                        var pending = stage.OnRequestAsync(guard);
                        decision = pending.IsCompletedSuccessfully ? pending.Result : await pending;
                    }
                    catch (Exception ex) when (ex is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
                    {
                        decision = _stages.Failed(guard, stage.Name, ex);
                    }
                }

                if (decision.IsRefusal)
                {
                    await _recorder.RefuseAsync(guard, stage.Name, decision);
                    return;
                }

                if (decision.Action is GuardAction.Modify or GuardAction.Flag)
                {
                    _recorder.RecordChange(guard, stage.Name, decision);
                }
            }

            if ((guard.RequestEdits is { Count: > 0 } || guard.TextEdits is { Count: > 0 }) && (guard.ReplacementBody ?? guard.OriginalBody) is { } edited)
            {
                try
                {
                    guard.ReplacementBody = Protocols.OpenAi.RequestRewrite.Apply(edited, guard.RequestEdits ?? [], guard.TextEdits ?? []);
                }
                catch (Exception ex) when (ex is InvalidOperationException or System.Text.Json.JsonException or ArgumentException)
                {
                    // A string the writer cannot encode (a lone surrogate in a member no stage reads):
                    // the changed body cannot be written, and the unchanged one must not be forwarded.
                    await _recorder.RefuseAsync(guard, StageNames.Parse, Unrewritable());
                    return;
                }
            }

            if (guard.ReplacementBody is { } replacement)
            {
                // The client's bytes stay unread in the pipe (Kestrel drains them); YARP forwards these.
                context.Request.Body = new MemoryStream(replacement, writable: false);
                context.Request.ContentLength = replacement.Length;
                context.Request.Headers.TransferEncoding = default;
            }

            try
            {
                await next();
            }
            finally
            {
                // The response-head phase put a filter in place for an event stream.
                if (context.Response.Body is EventStreamFilter events)
                {
                    filter = events;
                    context.Response.Body = events.Inner;
                }
            }

            if (context.Features.Get<IForwarderErrorFeature>() is { } error)
            {
                await ForwardFailedAsync(guard, error);
                return;
            }

            if (filter is not null && !guard.Refused)
            {
                await filter.CompleteAsync(context.RequestAborted);
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !context.RequestAborted.IsCancellationRequested)
        {
            // A failure of the gateway itself (a stage's own failures follow its fail mode instead).
            GuardMiddleware.LogUnhandled(_logger, ex, context.Request.Method, guard.RouteId);
            if (!await _recorder.RefuseAsync(guard, StageNames.Gateway, GuardMiddleware.Internal()) && context.Response.HasStarted)
            {
                // Too late for a status code: cut the connection so the client sees a failure, not a truncated success.
                context.Abort();
            }
        }
        finally
        {
            filter?.Dispose();
            guard.ReleaseLeases();
            if (guard.Settlement is { } settlement)
            {
                await SettleAsync(settlement, guard);
            }

            _genAi?.Completed(guard);
        }
    }

    /// <summary>Finishes what a stage left open (token budgets); a failure is logged, never thrown at the client.</summary>
    private async ValueTask SettleAsync(IRequestSettlement settlement, GuardContext guard)
    {
        try
        {
            await settlement.SettleAsync(guard);
        }
        catch (Exception ex)
        {
            LogSettleFailed(_logger, ex, guard.RouteId);
        }
    }

    /// <summary>The operation the route's adapter recognises in method and path, or the refusal.</summary>
    private static GuardDecision MatchOperation(GuardContext guard)
    {
        var context = guard.HttpContext;
        var policy = guard.Policy!;
        var path = context.Request.Path.Value ?? "/";
        if (policy.PathPrefix.Length > 0 && path.StartsWith(policy.PathPrefix, StringComparison.Ordinal))
        {
            path = path[policy.PathPrefix.Length..];
        }

        if (!RequestPath.IsValidUtf8(context))
        {
            return GuardDecision.Refuse(StatusCodes.Status400BadRequest, ProblemCodes.InvalidPath, "The request path is not valid percent-encoded UTF-8.");
        }

        guard.Operation = policy.Adapter.Match(context.Request.Method, path);
        return guard.Operation is not null
            ? default
            : GuardDecision.Refuse(
                StatusCodes.Status404NotFound,
                ProblemCodes.OperationNotSupported,
                $"{Excerpt.Of(context.Request.Method, 16)} {Excerpt.Scrubbed(path, 128)} is not an operation of the {policy.Protocol} protocol that AiGuard can inspect.");
    }

    /// <summary>Builds the request view from the body, then hands the body back to the request pipe for forwarding.</summary>
    private GuardDecision Parse(GuardContext guard, RequestBody? body)
    {
        using var timing = _metrics.Time(StageNames.Parse);
        var policy = guard.Policy!;
        try
        {
            guard.Request = policy.Adapter.ParseRequest(guard.Operation!, body is null ? [] : body.Span, new JsonReadLimits(policy.MaxJsonDepth, policy.MaxJsonElements));
            if (policy.RewritesRequests && body is not null)
            {
                // The parameter stage may rewrite it; the pipe's bytes go back to YARP below.
                guard.OriginalBody = body.Span.ToArray();
            }

            if (policy.TokenBudgets.Length > 0 && body is not null && guard.Request.Generation is { Stream: true, StreamIncludeUsage: false })
            {
                // A budget is settled from the usage the upstream reports: ask for it in the stream.
                try
                {
                    guard.ReplacementBody = Protocols.OpenAi.StreamUsage.Request(body.Span);
                }
                catch (InvalidOperationException)
                {
                    return Unrewritable();
                }

                guard.HidesStreamUsage = true;
            }

            return default;
        }
        catch (ProtocolViolationException ex)
        {
            guard.RefusedModel = ex.Model;
            return GuardDecision.Refuse(StatusCodes.Status400BadRequest, ex.Code, ex.Message, ex.Field.Length > 0 ? ex.Field : null);
        }
        finally
        {
            // The bytes go back unconsumed: YARP forwards exactly what was parsed.
            body?.Release();
        }
    }

    /// <summary>A body the gateway had to change but cannot write back: refused, never forwarded unchanged.</summary>
    private static GuardDecision Unrewritable() => GuardDecision.Refuse(
        StatusCodes.Status400BadRequest, ProblemCodes.InvalidBody, "The request holds a string that is not valid UTF-16 (a lone surrogate); AiGuard cannot forward it changed, and will not forward it unchanged.");

    private async ValueTask ForwardFailedAsync(GuardContext guard, IForwarderErrorFeature error)
    {
        var decision = error.Error switch
        {
            // The client went away: there is nobody to answer and nothing to decide.
            ForwarderError.RequestCanceled or ForwarderError.RequestBodyClient or ForwarderError.ResponseBodyClient
                or ForwarderError.UpgradeRequestClient or ForwarderError.UpgradeResponseClient => default,
            ForwarderError.RequestTimedOut => GuardDecision.Refuse(
                StatusCodes.Status504GatewayTimeout, ProblemCodes.UpstreamTimeout, "The model server did not answer in time."),
            ForwarderError.NoAvailableDestinations => GuardDecision.Refuse(
                StatusCodes.Status503ServiceUnavailable, ProblemCodes.UpstreamUnavailable, "No healthy model server is available for this route."),
            ForwarderError.Request when NonAsciiHeader(guard.HttpContext.Request) is { } header => GuardDecision.Refuse(
                StatusCodes.Status400BadRequest, ProblemCodes.InvalidHeader, $"The header '{Excerpt.Scrubbed(header)}' holds characters outside ASCII, which cannot be forwarded.", header),
            _ => GuardDecision.Refuse(
                StatusCodes.Status502BadGateway, ProblemCodes.UpstreamError, "The model server could not be reached or its answer was cut off."),
        };

        if (decision.IsRefusal && !await _recorder.RefuseAsync(guard, StageNames.Forward, decision))
        {
            // The answer had started: YARP has already cut the connection; the failure is audited.
            LogCutAfterStart(_logger, error.Error, guard.RouteId);
        }
    }

    /// <summary>The name of a request header with non-ASCII characters (HTTP clients cannot send them on), if any.</summary>
    /// <remarks>Checked only after forwarding failed, so the common path pays nothing for it.</remarks>
    private static string? NonAsciiHeader(HttpRequest request)
    {
        foreach (var (name, values) in request.Headers)
        {
            foreach (var value in values)
            {
                if (value is not null && !Ascii.IsValid(value))
                {
                    return name;
                }
            }
        }

        return null;
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Settling the request's token budget reservations failed on route {RouteId}; they stay as reserved")]
    private static partial void LogSettleFailed(ILogger logger, Exception exception, string? routeId);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Forwarding failed with {Error} on route {RouteId} after the answer had started")]
    private static partial void LogCutAfterStart(ILogger logger, ForwarderError error, string? routeId);
}
