using AiGuard.Identity;
using Yarp.ReverseProxy.Configuration;

namespace AiGuard.Configuration;

/// <summary>
/// One whole, validated configuration: keys, route policies, upstream credentials and YARP's
/// routes and clusters, built together and swapped together.
/// </summary>
/// <remarks>
/// A request reads <see cref="GatewayConfiguration.Current"/> once and keeps that snapshot, so a
/// reload can never give one request new keys with old routes or the other way round.
/// </remarks>
public sealed class GatewaySnapshot
{
    private readonly Dictionary<string, RoutePolicy> _routes;

    internal GatewaySnapshot(
        long version,
        AiGuardOptions options,
        ApiKeyStore keys,
        Dictionary<string, RoutePolicy> routes,
        IReadOnlyList<RouteConfig> proxyRoutes,
        IReadOnlyList<ClusterConfig> proxyClusters,
        Dictionary<string, KeyValuePair<string, string>[]> upstreamHeaders,
        string[] clientCredentialHeaders)
    {
        Version = version;
        Options = options;
        Keys = keys;
        _routes = routes;
        ProxyRoutes = proxyRoutes;
        ProxyClusters = proxyClusters;
        UpstreamHeaders = upstreamHeaders;
        ClientCredentialHeaders = clientCredentialHeaders;
    }

    /// <summary>Increases by one with every configuration that was applied.</summary>
    public long Version { get; }

    public AiGuardOptions Options { get; }

    public ApiKeyStore Keys { get; }

    /// <summary>The resolved policy of every YARP route, by route id.</summary>
    public IReadOnlyDictionary<string, RoutePolicy> Routes => _routes;

    public IReadOnlyList<RouteConfig> ProxyRoutes { get; }

    public IReadOnlyList<ClusterConfig> ProxyClusters { get; }

    /// <summary>Per cluster id, the headers (credential first) added to every forwarded request.</summary>
    public Dictionary<string, KeyValuePair<string, string>[]> UpstreamHeaders { get; }

    /// <summary>Headers that carry client credentials and are never forwarded.</summary>
    public string[] ClientCredentialHeaders { get; }

    public bool TryGetPolicy(string routeId, out RoutePolicy policy) => _routes.TryGetValue(routeId, out policy!);
}
