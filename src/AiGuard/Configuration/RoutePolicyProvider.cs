using AiGuard.Protocols;
using Microsoft.Extensions.Options;

namespace AiGuard.Configuration;

/// <summary>Resolves route policies from configuration, following reloads.</summary>
public sealed class RoutePolicyProvider
{
    private readonly ProtocolRegistry _protocols;
    private Dictionary<string, RoutePolicy> _policies;

    public RoutePolicyProvider(IOptionsMonitor<AiGuardOptions> options, ProtocolRegistry protocols)
    {
        _protocols = protocols;
        _policies = Build(options.CurrentValue);
        options.OnChange(o => _policies = Build(o));
    }

    public bool TryGet(string routeId, out RoutePolicy policy) => _policies.TryGetValue(routeId, out policy!);

    private Dictionary<string, RoutePolicy> Build(AiGuardOptions options)
    {
        var policies = new Dictionary<string, RoutePolicy>(StringComparer.Ordinal);
        foreach (var (routeId, route) in options.Routes)
        {
            // A route whose protocol is unknown gets no policy: it is refused (fail closed), and
            // the options validator has already named it at start.
            if (!_protocols.TryGet(route.Protocol, out var adapter))
            {
                continue;
            }

            var defaults = options.Limits;
            var limits = route.Limits;
            policies[routeId] = new RoutePolicy(
                routeId,
                adapter,
                route.RequiredScopes.ToArray(),
                (route.PathPrefix ?? string.Empty).TrimEnd('/'),
                limits.MaxBodyBytes ?? defaults.MaxBodyBytes ?? RequestLimitsOptions.DefaultMaxBodyBytes,
                limits.MaxJsonDepth ?? defaults.MaxJsonDepth ?? RequestLimitsOptions.DefaultMaxJsonDepth,
                limits.MaxJsonElements ?? defaults.MaxJsonElements ?? RequestLimitsOptions.DefaultMaxJsonElements,
                (limits.AllowedContentTypes ?? defaults.AllowedContentTypes ?? ["application/json"]).ToArray());
        }

        return policies;
    }
}
