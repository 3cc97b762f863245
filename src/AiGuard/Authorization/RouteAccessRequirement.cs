using AiGuard.Configuration;
using AiGuard.Pipeline;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Model;

namespace AiGuard.Authorization;

/// <summary>The client's key must allow the matched route and hold the route's scopes.</summary>
public sealed class RouteAccessRequirement : IAuthorizationRequirement
{
}

/// <summary>Checks <see cref="RouteAccessRequirement"/> against the route YARP matched.</summary>
public sealed class RouteAccessHandler : AuthorizationHandler<RouteAccessRequirement>
{
    private readonly RoutePolicyProvider _policies;

    public RouteAccessHandler(RoutePolicyProvider policies)
    {
        _policies = policies;
    }

    protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, RouteAccessRequirement requirement)
    {
        if (context.Resource is not HttpContext http)
        {
            return Task.CompletedTask;
        }

        var guard = GuardContext.For(http);
        var client = guard.Client;
        if (client is null)
        {
            return Task.CompletedTask;
        }

        var route = http.GetEndpoint()?.Metadata.GetMetadata<RouteModel>();
        if (route is null)
        {
            // Not a proxied route (a gateway endpoint such as the fallback): being authenticated is enough.
            context.Succeed(requirement);
            return Task.CompletedTask;
        }

        var routeId = route.Config.RouteId;
        guard.RouteId = routeId;
        if (!_policies.TryGet(routeId, out var policy))
        {
            // Handled by the parse stage as route_policy_missing (503); authorization does not guess.
            context.Succeed(requirement);
            return Task.CompletedTask;
        }

        guard.RoutePolicy = policy;
        if (!GlobPattern.MatchesAny(client.AllowedRoutes, routeId))
        {
            context.Fail(new AuthorizationFailureReason(this, ProblemCodes.RouteNotAllowed));
            return Task.CompletedTask;
        }

        foreach (var scope in policy.RequiredScopes)
        {
            if (!client.Scopes.Contains(scope))
            {
                context.Fail(new AuthorizationFailureReason(this, ProblemCodes.ScopeMissing + ":" + scope));
                return Task.CompletedTask;
            }
        }

        context.Succeed(requirement);
        return Task.CompletedTask;
    }
}
