using AiGuard.Audit;

namespace AiGuard.Tests.Audit;

/// <summary>Audit events the audit tests write: a minimal one and one with every common field.</summary>
internal static class TestEvents
{
    public static AuditEvent Minimal(int i) => new()
    {
        IncidentId = $"inc_{i}",
        Timestamp = DateTimeOffset.UnixEpoch,
        Decision = "refuse",
        Stage = "parse",
        Code = "malformed_json",
        Method = "POST",
        Path = "/",
    };

    public static AuditEvent Full(string decision = "refuse") => new()
    {
        IncidentId = "inc_2",
        Timestamp = DateTimeOffset.UnixEpoch,
        Decision = decision,
        Stage = "authorize",
        Code = "model_not_allowed",
        Status = 403,
        ClientId = "alice",
        KeyId = "key1",
        Tenant = "acme",
        RouteId = "openai-chat",
        Model = "o1-secret",
        Method = "POST",
        Path = "/v1/chat/completions",
        Field = "model",
        Detail = "This API key may not use the model 'o1-secret'.",
        RemoteAddress = "192.0.2.7",
        TraceId = "0af7651916cd43dd8448eb211c80319c",
    };
}
