using AiGuard.Pipeline;
using AiGuard.Protocols;
using Microsoft.Extensions.Logging;

namespace AiGuard.Inspection.Output;

/// <summary>Runs the response-body stages of a route over one parsed answer (a whole body or one SSE event).</summary>
public sealed partial class ResponseStages
{
    private readonly DecisionRecorder _recorder;
    private readonly PipelineMetrics _metrics;
    private readonly ILogger<ResponseStages> _logger;

    public ResponseStages(DecisionRecorder recorder, PipelineMetrics metrics, ILogger<ResponseStages> logger)
    {
        _recorder = recorder;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>Runs every body stage in order; records changes; returns the first refusal (not yet recorded) or Continue.</summary>
    public (GuardDecision Decision, string Stage) Run(GuardContext guard, InferenceResponse response)
    {
        foreach (var stage in guard.Policy!.ResponseBodyStages)
        {
            GuardDecision decision;
            using (var span = Telemetry.GuardTelemetry.StartStage(stage.Name))
            {
                try
                {
                    decision = stage.OnResponse(guard, response);
                }
                catch (Exception ex)
                {
                    LogStageFailed(_logger, ex, stage.Name, guard.RouteId);
                    decision = FailMode(guard, stage.Name);
                }
            }

            switch (decision.Action)
            {
                case GuardAction.Refuse:
                    return (decision, stage.Name);
                case GuardAction.Modify:
                    _recorder.RecordChange(guard, stage.Name, decision);
                    break;
            }
        }

        return (GuardDecision.Continue, string.Empty);
    }

    /// <summary>What a failed stage's route says: fail open (continue, audited and counted) or closed (refuse 503).</summary>
    public GuardDecision FailMode(GuardContext guard, string stage)
    {
        if (guard.Policy!.FailOpenStages.Contains(stage))
        {
            _metrics.FailedOpen(stage);
            return GuardDecision.Modify(ProblemCodes.GuardFailedOpen, $"The stage '{stage}' failed; the route fails open, so the request went on unchecked by it.");
        }

        return GuardDecision.Refuse(503, ProblemCodes.GuardUnavailable, $"The stage '{stage}' could not decide; the route fails closed.");
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Guard stage {Stage} failed on route {RouteId}")]
    private static partial void LogStageFailed(ILogger logger, Exception exception, string stage, string? routeId);
}
