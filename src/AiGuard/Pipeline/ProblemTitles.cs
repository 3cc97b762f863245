namespace AiGuard.Pipeline;

/// <summary>The short, fixed title of each problem code (RFC 9457 <c>title</c>).</summary>
public static class ProblemTitles
{
    public static string For(string code) => code switch
    {
        ProblemCodes.MissingCredentials => "Authentication required",
        ProblemCodes.InvalidApiKey => "Invalid API key",
        ProblemCodes.ExpiredApiKey => "API key expired",
        ProblemCodes.RevokedApiKey => "API key revoked",
        ProblemCodes.InvalidToken => "Invalid bearer token",
        ProblemCodes.ExpiredToken => "Bearer token expired",
        ProblemCodes.RouteNotAllowed => "Route not allowed for this client",
        ProblemCodes.ScopeMissing => "Missing scope",
        ProblemCodes.ModelNotAllowed => "Model not allowed for this client",
        ProblemCodes.MalformedJson => "Malformed JSON body",
        ProblemCodes.JsonTooDeep => "JSON body nested too deeply",
        ProblemCodes.JsonTooManyElements => "JSON body has too many elements",
        ProblemCodes.InvalidBody => "Request body does not match the protocol",
        ProblemCodes.InvalidHeader => "Invalid request header",
        ProblemCodes.InvalidPath => "Invalid request path",
        ProblemCodes.TensorShapeMismatch => "Tensor shape does not match its data",
        ProblemCodes.RouteNotFound => "No route for this path",
        ProblemCodes.OperationNotSupported => "Operation not supported on this route",
        ProblemCodes.RateLimited => "Rate limit exceeded",
        ProblemCodes.TokenBudgetExhausted => "Token budget exhausted",
        ProblemCodes.AnomalyThrottled => "Request rate reduced for this client",
        ProblemCodes.ClientQuarantined => "Client quarantined",
        ProblemCodes.TokensExceedBudget => "Request larger than its token budget",
        ProblemCodes.ParameterNotAllowed => "Generation parameter not allowed on this route",
        ProblemCodes.SensitiveData => "Request holds personal data this route does not accept",
        ProblemCodes.PromptInjection => "Request reads as a prompt injection or jailbreak",
        ProblemCodes.AuthenticationThrottled => "Too many failed authentications",
        ProblemCodes.BodyReadTimeout => "Request body not received in time",
        ProblemCodes.BodyTooLarge => "Request body too large",
        ProblemCodes.UnsupportedMediaType => "Unsupported content type",
        ProblemCodes.UpstreamError => "Upstream model server failed",
        ProblemCodes.UpstreamUnavailable => "Upstream model server unavailable",
        ProblemCodes.UpstreamTimeout => "Upstream model server timed out",
        ProblemCodes.UpstreamInvalidResponse => "Upstream answer could not be inspected",
        ProblemCodes.ResponseTooLarge => "Upstream answer too large to inspect",
        ProblemCodes.RoutePolicyMissing => "Route has no AiGuard policy",
        ProblemCodes.GuardUnavailable => "A guard could not decide",
        ProblemCodes.InternalError => "Internal gateway error",
        _ => "Request refused",
    };
}
