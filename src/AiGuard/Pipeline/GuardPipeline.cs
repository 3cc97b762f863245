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
    private readonly ILogger<GuardPipeline> _logger;

    public GuardPipeline(DecisionRecorder recorder, StageRunner stages, ILogger<GuardPipeline> logger)
    {
        _recorder = recorder;
        _stages = stages;
        _logger = logger;
    }

    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var guard = GuardContext.Get(context) ?? throw new InvalidOperationException("GuardMiddleware must run before the proxy pipeline.");
        var policy = guard.Policy!;
        RequestBody? body = null;
        try
        {
            var (parsed, stage, refusal) = await ParseAsync(guard);
            body = parsed;
            if (refusal.IsRefusal)
            {
                await _recorder.RefuseAsync(guard, stage, refusal);
                return;
            }

            if (guard.Request is null)
            {
                return; // the client went away while sending
            }

            foreach (var requestStage in policy.RequestStages)
            {
                var decision = await RunAsync(requestStage, guard);
                if (decision.IsRefusal)
                {
                    await _recorder.RefuseAsync(guard, requestStage.Name, decision);
                    return;
                }

                if (decision.Action == GuardAction.Modify)
                {
                    _recorder.RecordChange(guard, requestStage.Name, decision);
                }
            }

            ResponseBodyFilter? filter = null;
            if (policy.ResponseBodyStages.Count > 0 && guard.Operation!.HasInferenceResponse)
            {
                filter = new ResponseBodyFilter(context.Response.Body, guard, _stages, _recorder);
                context.Response.Body = filter;
            }

            try
            {
                await next();
            }
            finally
            {
                if (filter is not null)
                {
                    context.Response.Body = filter.Inner;
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
        finally
        {
            body?.Dispose();
        }
    }

    private static async ValueTask<(RequestBody? Body, string Stage, GuardDecision Refusal)> ParseAsync(GuardContext guard)
    {
        using var span = GuardTelemetry.StartStage(StageNames.Parse);
        var context = guard.HttpContext;
        var policy = guard.Policy!;
        var path = context.Request.Path.Value ?? "/";
        if (policy.PathPrefix.Length > 0 && path.StartsWith(policy.PathPrefix, StringComparison.Ordinal))
        {
            path = path[policy.PathPrefix.Length..];
        }

        if (!RequestPath.IsValidUtf8(context))
        {
            return (null, StageNames.Parse, GuardDecision.Refuse(
                StatusCodes.Status400BadRequest, ProblemCodes.InvalidPath, "The request path is not valid percent-encoded UTF-8."));
        }

        var operation = policy.Adapter.Match(context.Request.Method, path);
        if (operation is null)
        {
            return (null, StageNames.Parse, GuardDecision.Refuse(
                StatusCodes.Status404NotFound,
                ProblemCodes.OperationNotSupported,
                $"{Excerpt.Of(context.Request.Method, 16)} {Excerpt.Of(path, 128)} is not an operation of the {policy.Protocol} protocol that AiGuard can inspect."));
        }

        guard.Operation = operation;
        var (outcome, body, refusal) = await RequestBody.ReadAsync(context, policy, operation.HasBody);
        switch (outcome)
        {
            case RequestBody.Outcome.Refused:
                return (null, refusal.Code == ProblemCodes.BodyTooLarge ? StageNames.Limits : StageNames.Parse, refusal);
            case RequestBody.Outcome.ClientGone:
                return (null, StageNames.Parse, default);
        }

        try
        {
            guard.Request = policy.Adapter.ParseRequest(operation, body is null ? [] : body.Span, new JsonReadLimits(policy.MaxJsonDepth, policy.MaxJsonElements));
            return (body, StageNames.Parse, default);
        }
        catch (ProtocolViolationException ex)
        {
            return (body, StageNames.Parse, GuardDecision.Refuse(StatusCodes.Status400BadRequest, ex.Code, ex.Message, ex.Field.Length > 0 ? ex.Field : null));
        }
    }

    private async ValueTask<GuardDecision> RunAsync(IGuardStage stage, GuardContext guard)
    {
        using var span = GuardTelemetry.StartStage(stage.Name);
        try
        {
            var pending = stage.OnRequestAsync(guard);
            return pending.IsCompletedSuccessfully ? pending.Result : await pending;
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !guard.HttpContext.RequestAborted.IsCancellationRequested)
        {
            return _stages.Failed(guard, stage.Name, ex);
        }
    }

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
                StatusCodes.Status400BadRequest, ProblemCodes.InvalidHeader, $"The header '{Excerpt.Of(header)}' holds characters outside ASCII, which cannot be forwarded.", header),
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Forwarding failed with {Error} on route {RouteId} after the answer had started")]
    private static partial void LogCutAfterStart(ILogger logger, ForwarderError error, string? routeId);
}
