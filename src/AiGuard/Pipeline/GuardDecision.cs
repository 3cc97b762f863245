namespace AiGuard.Pipeline;

/// <summary>What a stage decided: go on unchanged, go on with a change, or refuse.</summary>
public enum GuardOutcome
{
    Continue,
    Modify,
    Refuse,
}

/// <summary>A stage's decision as data; the pipeline acts on it and the audit trail records it.</summary>
public sealed record GuardDecision
{
    private GuardDecision(GuardOutcome outcome, PipelineStage stage, string? code, int status, string? detail, string? field)
    {
        Outcome = outcome;
        Stage = stage;
        Code = code;
        Status = status;
        Detail = detail;
        Field = field;
    }

    /// <summary>The shared "nothing to do" decision.</summary>
    public static GuardDecision Continue { get; } = new(GuardOutcome.Continue, PipelineStage.InputGuards, null, 0, null, null);

    public GuardOutcome Outcome { get; }

    public PipelineStage Stage { get; }

    /// <summary>The stable problem code (see <see cref="ProblemCodes"/>) for a refusal or modification.</summary>
    public string? Code { get; }

    /// <summary>The HTTP status of a refusal.</summary>
    public int Status { get; }

    /// <summary>Human-readable explanation; must never contain a secret.</summary>
    public string? Detail { get; }

    /// <summary>The request field the decision is about, when there is one (for example <c>messages[0].role</c>).</summary>
    public string? Field { get; }

    public static GuardDecision Refuse(PipelineStage stage, int status, string code, string detail, string? field = null) =>
        new(GuardOutcome.Refuse, stage, code, status, detail, field);

    public static GuardDecision Modify(PipelineStage stage, string code, string detail, string? field = null) =>
        new(GuardOutcome.Modify, stage, code, 0, detail, field);
}
