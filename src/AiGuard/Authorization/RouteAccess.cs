using AiGuard.Configuration;
using AiGuard.Identity;
using AiGuard.Pipeline;
using Microsoft.AspNetCore.Http;

namespace AiGuard.Authorization;

/// <summary>The client's key must allow the matched route and hold every scope its policy requires.</summary>
public static class RouteAccess
{
    public static GuardDecision Check(ClientIdentity client, RoutePolicy policy)
    {
        if (!GlobPattern.MatchesAny(client.AllowedRoutes, policy.RouteId))
        {
            return GuardDecision.Refuse(StatusCodes.Status403Forbidden, ProblemCodes.RouteNotAllowed, "This API key may not use this route.");
        }

        foreach (var scope in policy.RequiredScopes)
        {
            if (!client.Scopes.Contains(scope))
            {
                return GuardDecision.Refuse(StatusCodes.Status403Forbidden, ProblemCodes.ScopeMissing, $"This route requires the scope '{scope}'.");
            }
        }

        return GuardDecision.Continue;
    }
}
