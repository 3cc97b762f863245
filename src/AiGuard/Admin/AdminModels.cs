namespace AiGuard.Admin;

/// <summary>Liveness: the process answers.</summary>
public sealed record LivenessReport(string Status);

/// <summary>Readiness: every check, and whether all passed.</summary>
public sealed record ReadinessReport(string Status, IReadOnlyList<ReadinessCheck> Checks);

/// <summary>One readiness check (no secret in <paramref name="Detail"/>).</summary>
public sealed record ReadinessCheck(string Name, bool Ok, string Detail, bool Required = true);

/// <summary>A quarantine in force.</summary>
public sealed record QuarantineEntry(string Client, DateTimeOffset Until, long SecondsLeft, string Reason);

/// <summary>The quarantines in force on this replica (with Redis, every replica's).</summary>
public sealed record QuarantineListing(IReadOnlyList<QuarantineEntry> Quarantines, bool SharedThroughRedis);

/// <summary>What an operator sends to quarantine a client.</summary>
/// <param name="For">How long: <c>90s</c>, <c>15m</c>, <c>2h</c>, <c>7d</c>, <c>1h30m</c>, <c>PT15M</c> or <c>00:15:00</c>.</param>
/// <param name="Reason">Why (audited; at most 256 characters).</param>
public sealed record QuarantineRequest(string? For, string? Reason);

/// <summary>The outcome of an audited change: the incident id names its audit event.</summary>
public sealed record QuarantineChange(string Client, string Action, DateTimeOffset? Until, string? Reason, string IncidentId);

/// <summary>A client as the gateway sees it now.</summary>
public sealed record ClientStatusReport(
    string Client,
    IReadOnlyList<string> KeyIds,
    string? Tenant,
    QuarantineEntry? Quarantine,
    AnomalyStatus? Anomaly,
    IReadOnlyList<LimitStatus> Limits);

/// <summary>The anomaly engine's view of a client.</summary>
/// <param name="Action">The policy action the client holds (<c>none</c> when it holds none).</param>
/// <param name="Reasons">The features that raised its score most when it last reached an action.</param>
public sealed record AnomalyStatus(double Score, double LastScore, long Requests, string Action, string? Reasons);

/// <summary>What is left of one limit or token budget for a client.</summary>
/// <param name="Kind"><c>rate_limit</c> or <c>token_budget</c>.</param>
/// <param name="Window">The window the remaining count is of (<c>minute</c>, <c>day</c>, or the limit's own).</param>
/// <param name="Remaining">Permits or tokens left now; null when unlimited in that window.</param>
public sealed record LimitStatus(string Kind, string Name, string? Route, string Window, long Limit, long? Remaining, bool Shared);

/// <summary>The outcome of a configuration check.</summary>
public sealed record ConfigurationCheckReport(bool Valid, IReadOnlyList<string> Errors, IReadOnlyList<string> Warnings, string Placement);
