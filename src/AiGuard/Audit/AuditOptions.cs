namespace AiGuard.Audit;

/// <summary>Audit trail settings (section <c>AiGuard:Audit</c>).</summary>
public sealed class AuditOptions
{
    /// <summary>Events waiting for the sinks; past this, events are dropped and counted, never blocking a request.</summary>
    public int QueueCapacity { get; set; } = 10_000;

    /// <summary>Write audit events as JSON lines to standard output.</summary>
    public bool Console { get; set; } = true;

    /// <summary>Write audit events as JSON lines to this file (rolled daily); empty for none.</summary>
    public string? FilePath { get; set; }
}
