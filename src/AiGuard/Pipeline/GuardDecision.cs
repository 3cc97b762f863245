namespace AiGuard.Pipeline;

/// <summary>What a stage decided: go on unchanged, go on with a change, or refuse.</summary>
public enum GuardAction
{
    /// <summary>Nothing to do; the request or response goes on unchanged.</summary>
    Continue = 0,

    /// <summary>The stage changed the request or response (redacted, rounded, stripped) and it goes on.</summary>
    Modify,

    /// <summary>The request or response must not go on; the client gets a problem answer.</summary>
    Refuse,

    /// <summary>Nothing changes, but the stage's verdict about the client is audited (for example an anomaly flag).</summary>
    Flag,
}

/// <summary>A stage's decision as data: the pipeline acts on it, the audit trail records it.</summary>
/// <remarks>
/// A value type whose default is <see cref="Continue"/>, so the common path of a stage
/// (<c>return default;</c> or <c>new ValueTask&lt;GuardDecision&gt;()</c>) allocates nothing.
/// The stage that decided is known to the pipeline, so it is not part of the decision.
/// </remarks>
public readonly record struct GuardDecision
{
    private GuardDecision(GuardAction action, int status, string? code, string? detail, string? field, bool audited)
    {
        Action = action;
        Status = status;
        Code = code;
        Detail = detail;
        Field = field;
        Audited = audited;
    }

    /// <summary>The shared "nothing to do" decision (the default value).</summary>
    public static GuardDecision Continue => default;

    public GuardAction Action { get; }

    /// <summary>The HTTP status of a refusal; 0 otherwise.</summary>
    public int Status { get; }

    /// <summary>The stable code (see <see cref="ProblemCodes"/>) of a refusal or modification.</summary>
    public string? Code { get; }

    /// <summary>Human-readable explanation; never holds a secret or a detected entity.</summary>
    public string? Detail { get; }

    /// <summary>The request field the decision is about, for example <c>messages[0].role</c>.</summary>
    public string? Field { get; }

    /// <summary>Whether the decision becomes an audit event (every refusal and every per-request change does).</summary>
    public bool Audited { get; }

    public bool IsContinue => Action == GuardAction.Continue;

    public bool IsRefusal => Action == GuardAction.Refuse;

    /// <summary>Stop the request (or cut the response) with this status and problem code.</summary>
    public static GuardDecision Refuse(int status, string code, string detail, string? field = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(status, 400);
        ArgumentException.ThrowIfNullOrEmpty(code);
        return new(GuardAction.Refuse, status, code, detail, field, audited: true);
    }

    /// <summary>A change decided for this request (a parameter stripped, an output hardened for this client): audited.</summary>
    public static GuardDecision Modify(string code, string detail, string? field = null)
    {
        ArgumentException.ThrowIfNullOrEmpty(code);
        return new(GuardAction.Modify, 0, code, detail, field, audited: true);
    }

    /// <summary>A verdict about the client that changes nothing in this request (an anomaly flag): audited.</summary>
    public static GuardDecision Flag(string code, string detail)
    {
        ArgumentException.ThrowIfNullOrEmpty(code);
        return new(GuardAction.Flag, 0, code, detail, field: null, audited: true);
    }

    /// <summary>
    /// A change the route's policy makes to every request or response alike (for example rounding
    /// every probability): counted in metrics and on the trace, not audited per request, because
    /// it is configuration, not a decision about this client.
    /// </summary>
    public static GuardDecision ModifyByPolicy(string code, string detail)
    {
        ArgumentException.ThrowIfNullOrEmpty(code);
        return new(GuardAction.Modify, 0, code, detail, field: null, audited: false);
    }
}
