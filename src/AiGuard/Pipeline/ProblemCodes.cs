namespace AiGuard.Pipeline;

/// <summary>The stable codes AiGuard answers and audits with; clients may branch on them.</summary>
public static class ProblemCodes
{
    // 401: authentication
    public const string MissingCredentials = "missing_credentials";
    public const string InvalidApiKey = "invalid_api_key";
    public const string ExpiredApiKey = "expired_api_key";
    public const string RevokedApiKey = "revoked_api_key";
    public const string InvalidToken = "invalid_token";
    public const string ExpiredToken = "expired_token";

    // 403: authorization
    public const string RouteNotAllowed = "route_not_allowed";
    public const string ScopeMissing = "scope_missing";
    public const string ModelNotAllowed = "model_not_allowed";
    public const string ClientQuarantined = "client_quarantined";

    // 403: the model's answer is withheld (a whole answer refused, a stream cut)
    public const string SensitiveDataInResponse = "sensitive_data_in_response";
    public const string PromptLeak = "prompt_leak";

    // 400: the request does not fit the protocol or the limits
    public const string MalformedJson = "malformed_json";
    public const string JsonTooDeep = "json_too_deep";
    public const string JsonTooManyElements = "json_too_many_elements";
    public const string InvalidBody = "invalid_body";
    public const string InvalidHeader = "invalid_header";
    public const string InvalidPath = "invalid_path";
    public const string TensorShapeMismatch = "tensor_shape_mismatch";
    public const string TokensExceedBudget = "tokens_exceed_budget";
    public const string ParameterNotAllowed = "parameter_not_allowed";
    public const string SensitiveData = "sensitive_data";
    public const string PromptInjection = "prompt_injection";

    // 404: nothing behind this path
    public const string RouteNotFound = "route_not_found";
    public const string OperationNotSupported = "operation_not_supported";

    // 429: too many requests
    public const string RateLimited = "rate_limited";
    public const string AuthenticationThrottled = "auth_throttled";
    public const string TokenBudgetExhausted = "token_budget_exhausted";
    public const string AnomalyThrottled = "anomaly_throttled";

    // 408 / 413 / 415
    public const string BodyReadTimeout = "body_read_timeout";
    public const string BodyTooLarge = "body_too_large";
    public const string UnsupportedMediaType = "unsupported_media_type";

    // 5xx: the upstream or a guard failed
    public const string UpstreamError = "upstream_error";
    public const string UpstreamUnavailable = "upstream_unavailable";
    public const string UpstreamTimeout = "upstream_timeout";
    public const string UpstreamInvalidResponse = "upstream_invalid_response";
    public const string ResponseTooLarge = "response_too_large";
    public const string RoutePolicyMissing = "route_policy_missing";
    public const string GuardUnavailable = "guard_unavailable";
    public const string InternalError = "internal_error";

    // Modifications (audited, never sent as a problem)
    public const string OutputHardened = "output_hardened";
    public const string GuardFailedOpen = "guard_failed_open";
    public const string ParametersChanged = "parameters_changed";
    public const string SensitiveDataRedacted = "sensitive_data_redacted";

    // Anomaly engine verdicts (audited, never sent as a problem): the action the client reached
    public const string AnomalyObserved = "anomaly_observed";
    public const string AnomalyFlagged = "anomaly_flagged";
    public const string AnomalyHardened = "anomaly_hardened";

    // Prompt-injection verdict on a Flag route (audited, never sent as a problem)
    public const string PromptInjectionFlagged = "prompt_injection_flagged";

    // Admin API (docs/admin-api.md): refusals, and the changes operators make (audited, never sent as a problem)
    public const string ClientNotFound = "client_not_found";
    public const string ClientNotQuarantined = "client_not_quarantined";
    public const string InvalidDuration = "invalid_duration";
    public const string QuarantineAdded = "quarantine_added";
    public const string QuarantineRemoved = "quarantine_removed";
}
