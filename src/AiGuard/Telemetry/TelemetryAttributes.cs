namespace AiGuard.Telemetry;

/// <summary>
/// Every attribute key AiGuard's metrics use. All have a small, bounded set of values (stage
/// names, problem codes, configured limit names, model names bounded by <see cref="BoundedNames"/>):
/// client ids, key ids, tenants, prompts and incident ids never become metric attributes
/// (they are in the audit events and on spans instead).
/// </summary>
public static class TelemetryAttributes
{
    public const string Stage = "aiguard.stage";
    public const string Action = "aiguard.action";
    public const string Code = "aiguard.code";
    public const string HttpStatus = "http.response.status_code";
    public const string Limit = "aiguard.limit";
    public const string Budget = "aiguard.budget";
    public const string AnomalyAction = "aiguard.anomaly.action";
    public const string Outcome = "aiguard.outcome";
    public const string RedisOperation = "aiguard.redis.operation";

    public const string GenAiOperation = "gen_ai.operation.name";
    public const string GenAiSystem = "gen_ai.system";
    public const string GenAiRequestModel = "gen_ai.request.model";
    public const string GenAiResponseModel = "gen_ai.response.model";
    public const string GenAiTokenType = "gen_ai.token.type";
    public const string ErrorType = "error.type";

    /// <summary>Span attributes (never metric attributes): the incident id of a request's refusal or audited change.</summary>
    public const string IncidentId = "aiguard.incident_id";

}
