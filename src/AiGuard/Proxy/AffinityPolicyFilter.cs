using Yarp.ReverseProxy.Configuration;

namespace AiGuard.Proxy;

/// <summary>Refuses proxy configuration this build cannot honour, with a message naming the route or cluster.</summary>
/// <remarks>Anonymous routes would skip authentication, and every AiGuard route authenticates.</remarks>
public sealed class AffinityPolicyFilter : IProxyConfigFilter
{
    public ValueTask<ClusterConfig> ConfigureClusterAsync(ClusterConfig cluster, CancellationToken cancel) => ValueTask.FromResult(cluster);

    public ValueTask<RouteConfig> ConfigureRouteAsync(RouteConfig route, ClusterConfig? cluster, CancellationToken cancel)
    {
        if (string.Equals(route.AuthorizationPolicy, "anonymous", StringComparison.OrdinalIgnoreCase))
        {
            throw new InvalidOperationException(
                $"ReverseProxy:Routes:{route.RouteId}:AuthorizationPolicy 'Anonymous' is not allowed: every AiGuard route authenticates its clients.");
        }

        return ValueTask.FromResult(route);
    }
}
