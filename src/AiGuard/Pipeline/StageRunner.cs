using AiGuard.Protocols;
using Microsoft.Extensions.Logging;

namespace AiGuard.Pipeline;

/// <summary>Runs a route's response-body stages over one parsed answer and applies every stage's fail mode.</summary>
public sealed partial class StageRunner
{
    private readonly DecisionRecorder _recorder;
    private readonly PipelineMetrics _metrics;
    private readonly ILogger<StageRunner> _logger;

    public StageRunner(DecisionRecorder recorder, PipelineMetrics metrics, ILogger<StageRunner> logger)
    {
        _recorder = recorder;
        _metrics = metrics;
        _logger = logger;
    }

    /// <summary>Runs every body stage in order; records changes; returns the first refusal (not yet recorded) or Continue.</summary>
    public (GuardDecision Decision, string Stage) RunResponse(GuardContext guard, InferenceResponse response)
    {
        Telemetry.GenAiMetrics.Observe(guard, response);
        foreach (var stage in guard.Policy!.ResponseBodyStages)
        {
            GuardDecision decision;
            using (_metrics.Time(stage.Name))
            {
                try
                {
                    decision = stage.OnResponse(guard, response);
                }
                catch (Exception ex)
                {
                    decision = Failed(guard, stage.Name, ex);
                }
            }

            switch (decision.Action)
            {
                case GuardAction.Refuse:
                    return (decision, stage.Name);
                case GuardAction.Modify or GuardAction.Flag:
                    _recorder.RecordChange(guard, stage.Name, decision);
                    break;
            }
        }

        return (GuardDecision.Continue, string.Empty);
    }

    /// <summary>Times a stage's decision and opens its span (see <see cref="PipelineMetrics.Time"/>).</summary>
    public StageTiming Time(string stage) => _metrics.Time(stage);

    /// <summary>Logs a stage's failure and returns what its route's fail mode says.</summary>
    public GuardDecision Failed(GuardContext guard, string stage, Exception exception)
    {
        LogStageFailed(_logger, exception, stage, guard.RouteId);
        return FailMode(guard, stage);
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
