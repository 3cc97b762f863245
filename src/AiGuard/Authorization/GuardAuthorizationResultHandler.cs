using AiGuard.Pipeline;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;

namespace AiGuard.Authorization;

/// <summary>Turns authentication challenges and authorization failures into audited problem responses.</summary>
public sealed class GuardAuthorizationResultHandler : IAuthorizationMiddlewareResultHandler
{
    private readonly AuthorizationMiddlewareResultHandler _default = new();
    private readonly RefusalWriter _refusals;

    public GuardAuthorizationResultHandler(RefusalWriter refusals)
    {
        _refusals = refusals;
    }

    public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
    {
        if (authorizeResult.Challenged)
        {
            var guard = GuardContext.For(context);
            var code = guard.AuthenticationFailureCode ?? ProblemCodes.MissingCredentials;
            var detail = code switch
            {
                ProblemCodes.MissingCredentials => "Send an API key as 'Authorization: Bearer <key>'.",
                ProblemCodes.ExpiredApiKey => "The API key has expired.",
                ProblemCodes.RevokedApiKey => "The API key has been revoked.",
                _ => "The API key is not valid.",
            };
            return _refusals.RefuseAsync(context, GuardDecision.Refuse(PipelineStage.Authenticate, StatusCodes.Status401Unauthorized, code, detail));
        }

        if (authorizeResult.Forbidden)
        {
            var reason = authorizeResult.AuthorizationFailure?.FailureReasons.FirstOrDefault()?.Message ?? ProblemCodes.RouteNotAllowed;
            var (code, detail) = reason.Split(':', 2) switch
            {
                [ProblemCodes.ScopeMissing, var scope] => (ProblemCodes.ScopeMissing, $"This route requires the scope '{scope}'."),
                _ => (ProblemCodes.RouteNotAllowed, "This API key may not use this route."),
            };
            return _refusals.RefuseAsync(context, GuardDecision.Refuse(PipelineStage.Authorize, StatusCodes.Status403Forbidden, code, detail));
        }

        return _default.HandleAsync(next, context, policy, authorizeResult);
    }
}
