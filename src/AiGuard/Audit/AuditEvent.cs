namespace AiGuard.Audit;

/// <summary>One security decision, as recorded in the audit trail. Never holds a secret.</summary>
/// <remarks>Client-controlled text (path, model, field, detail) is stored as a bounded excerpt (see <see cref="Pipeline.Excerpt"/>).</remarks>
public sealed record AuditEvent
{
    public const int MaxPathLength = 256;
    public const int MaxModelLength = 128;
    public const int MaxFieldLength = 128;
    public const int MaxDetailLength = 512;

    public required string IncidentId { get; init; }

    /// <summary>
    /// The incident id of the audited decision recorded just before this one about the same request
    /// (a parameter change, then a refusal); null for a request's first. Every incident id names
    /// exactly one event, so a refusal's id never also names the change before it.
    /// </summary>
    public string? RelatedIncidentId { get; init; }

    public required DateTimeOffset Timestamp { get; init; }

    /// <summary><c>refuse</c> or <c>modify</c>.</summary>
    public required string Decision { get; init; }

    public required string Stage { get; init; }

    public required string Code { get; init; }

    /// <summary>HTTP status sent to the client (0 for a modification).</summary>
    public int Status { get; init; }

    public string? ClientId { get; init; }

    public string? KeyId { get; init; }

    public string? Tenant { get; init; }

    public string? RouteId { get; init; }

    public string? Model { get; init; }

    public required string Method { get; init; }

    public required string Path { get; init; }

    public string? Field { get; init; }

    public string? Detail { get; init; }

    public string? RemoteAddress { get; init; }

    public string? TraceId { get; init; }

    /// <summary>For anomaly verdicts: the client's score in [0, 1].</summary>
    public double? AnomalyScore { get; init; }

    /// <summary>For anomaly verdicts: the first 12 hex digits of the scoring model's SHA-256.</summary>
    public string? AnomalyModel { get; init; }

    /// <summary>For anomaly verdicts: the features that contributed most, with their values (no content).</summary>
    public string? AnomalyReasons { get; init; }
}
