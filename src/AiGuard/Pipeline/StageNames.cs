namespace AiGuard.Pipeline;

/// <summary>The wire names of the built-in steps of the walk (audit events, metrics, spans).</summary>
/// <remarks>Guard stages (<see cref="IGuardStage"/>) name themselves.</remarks>
public static class StageNames
{
    public const string Gateway = "gateway";
    public const string Route = "route";
    public const string Authenticate = "authenticate";
    public const string Authorize = "authorize";
    public const string Limits = "limits";
    public const string RateLimit = "rate_limit";
    public const string TokenBudget = "token_budget";
    public const string Quarantine = "quarantine";
    public const string Anomaly = "anomaly";
    public const string Parameters = "parameters";
    public const string SensitiveData = "sensitive_data";
    public const string PromptLeak = "prompt_leak";
    public const string PromptInjection = "prompt_injection";
    public const string AnomalyAnswer = "anomaly_answer";
    public const string Parse = "parse";
    public const string Forward = "forward";
    public const string ParseResponse = "parse_response";

    /// <summary>The admin API: its refusals and the changes operators make through it.</summary>
    public const string Admin = "admin";
}
