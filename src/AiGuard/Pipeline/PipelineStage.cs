namespace AiGuard.Pipeline;

/// <summary>The stages of the walk of one request, in order (docs/pipeline.md).</summary>
/// <remarks>Audit events and, later, trace spans name the stage that decided.</remarks>
public enum PipelineStage
{
    Limits,
    Authenticate,
    Quarantine,
    Route,
    Authorize,
    RateLimit,
    Parse,
    InputGuards,
    Anomaly,
    Forward,
    ParseResponse,
    OutputGuards,
}

/// <summary>Lower-case names used on the wire (audit events, problem bodies).</summary>
public static class PipelineStageNames
{
    public static string ToWireName(this PipelineStage stage) => stage switch
    {
        PipelineStage.Limits => "limits",
        PipelineStage.Authenticate => "authenticate",
        PipelineStage.Quarantine => "quarantine",
        PipelineStage.Route => "route",
        PipelineStage.Authorize => "authorize",
        PipelineStage.RateLimit => "rate_limit",
        PipelineStage.Parse => "parse",
        PipelineStage.InputGuards => "input_guards",
        PipelineStage.Anomaly => "anomaly",
        PipelineStage.Forward => "forward",
        PipelineStage.ParseResponse => "parse_response",
        PipelineStage.OutputGuards => "output_guards",
        _ => throw new ArgumentOutOfRangeException(nameof(stage), stage, null),
    };
}
