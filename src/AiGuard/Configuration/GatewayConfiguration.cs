using AiGuard.Identity;
using AiGuard.Pipeline;
using AiGuard.Protocols;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;
using Yarp.ReverseProxy.Configuration;

namespace AiGuard.Configuration;

/// <summary>
/// Holds the configuration in force and replaces it as a whole: on every change of the
/// underlying configuration the AiGuard section and YARP's routes and clusters are read,
/// validated together and, only if all of it is valid, swapped in at once. A bad change leaves
/// the old keys, routes and policies in force together, logs one error and is counted.
/// </summary>
/// <remarks>
/// It is also YARP's configuration provider, so YARP only ever sees routes and clusters that
/// passed AiGuard's validation, and it listens to YARP's outcome so that a configuration YARP
/// refuses to apply is rolled back here too.
/// </remarks>
public sealed partial class GatewayConfiguration : IProxyConfigProvider, IConfigChangeListener, IDisposable
{
    private const string ProxySection = "ReverseProxy";

    private readonly IConfiguration _configuration;
    private readonly ProtocolRegistry _protocols;
    private readonly IGuardStage[] _stages;
    private readonly ConfigurationMetrics _metrics;
    private readonly ILogger<GatewayConfiguration> _logger;
    private readonly Lock _lock = new();
    private readonly IDisposable _subscription;
    private GatewaySnapshot _current;
    private ProxyConfig _proxy;
    private GatewaySnapshot? _rollback;

    public GatewayConfiguration(IConfiguration configuration, ProtocolRegistry protocols, IEnumerable<IGuardStage> stages, ConfigurationMetrics metrics, ILogger<GatewayConfiguration> logger)
    {
        _configuration = configuration;
        _protocols = protocols;
        _stages = [.. stages.OrderBy(s => s.Order)];
        _metrics = metrics;
        _logger = logger;

        var (snapshot, warnings) = Build(version: 1);
        LogWarnings(warnings);
        _current = snapshot;
        _proxy = new ProxyConfig(snapshot);
        _metrics.Applied(snapshot.Version);
        _subscription = ChangeToken.OnChange(configuration.GetReloadToken, Reload);
    }

    /// <summary>The configuration in force. Read it once per request and keep it.</summary>
    public GatewaySnapshot Current => Volatile.Read(ref _current);

    /// <summary>Raised after a new configuration was swapped in.</summary>
    public event Action<GatewaySnapshot>? Applied;

    IProxyConfig IProxyConfigProvider.GetConfig() => Volatile.Read(ref _proxy);

    /// <summary>Validates a configuration without applying it; returns every problem (empty when it is valid).</summary>
    public static IReadOnlyList<string> Check(IConfiguration configuration, ProtocolRegistry protocols, IEnumerable<IGuardStage> stages, out IReadOnlyList<string> warnings)
    {
        var errors = new List<string>();
        var found = new List<string>();
        _ = TryBuild(configuration, protocols, [.. stages.OrderBy(s => s.Order)], 0, errors, found);
        warnings = found;
        return errors;
    }

    public void Dispose() => _subscription.Dispose();

    void IConfigChangeListener.ConfigurationLoadingFailed(IProxyConfigProvider configProvider, Exception exception)
    {
    }

    void IConfigChangeListener.ConfigurationLoaded(IReadOnlyList<IProxyConfig> proxyConfigs)
    {
    }

    void IConfigChangeListener.ConfigurationApplied(IReadOnlyList<IProxyConfig> proxyConfigs)
    {
        lock (_lock)
        {
            if (proxyConfigs.Contains(_proxy))
            {
                _rollback = null;
            }
        }
    }

    void IConfigChangeListener.ConfigurationApplyingFailed(IReadOnlyList<IProxyConfig> proxyConfigs, Exception exception)
    {
        lock (_lock)
        {
            if (!proxyConfigs.Contains(_proxy) || _rollback is not { } previous)
            {
                return;
            }

            // YARP kept its old routes; put the matching keys and policies back too.
            _rollback = null;
            Volatile.Write(ref _current, previous);
            var refused = _proxy;
            _proxy = new ProxyConfig(previous);
            refused.SignalChange();
            _metrics.Rejected();
            LogYarpRefused(_logger, exception, previous.Version);
        }
    }

    private void Reload()
    {
        lock (_lock)
        {
            var previous = _current;
            GatewaySnapshot next;
            try
            {
                (next, var warnings) = Build(previous.Version + 1);
                LogWarnings(warnings);
            }
            catch (GatewayConfigurationException ex)
            {
                _metrics.Rejected();
                LogRejected(_logger, ex.Errors.Count, previous.Version, string.Join(" | ", ex.Errors));
                return;
            }

            Volatile.Write(ref _current, next);
            if (!ProxyConfig.Same(previous, next))
            {
                _rollback = previous;
                var old = _proxy;
                _proxy = new ProxyConfig(next);
                old.SignalChange();
            }

            _metrics.Applied(next.Version);
            LogApplied(_logger, next.Version, next.Routes.Count, next.Keys.Count);
        }

        Applied?.Invoke(Current);
    }

    private (GatewaySnapshot Snapshot, List<string> Warnings) Build(long version)
    {
        var errors = new List<string>();
        var warnings = new List<string>();
        var snapshot = TryBuild(_configuration, _protocols, _stages, version, errors, warnings);
        if (errors.Count > 0 || snapshot is null)
        {
            throw new GatewayConfigurationException(errors);
        }

        return (snapshot, warnings);
    }

    private static GatewaySnapshot? TryBuild(IConfiguration configuration, ProtocolRegistry protocols, IGuardStage[] stages, long version, List<string> errors, List<string> warnings)
    {
        var section = configuration.GetSection(AiGuardOptions.SectionName);
        ConfigurationSchema.Check(section, typeof(AiGuardOptions), errors, warnings);
        var options = new AiGuardOptions();
        if (errors.Count == 0)
        {
            section.Bind(options);
        }

        var proxyErrors = new List<string>();
        var (routes, clusters, read) = ReadProxyConfig(configuration.GetSection(ProxySection), proxyErrors);
        if (errors.Count > 0 || !read)
        {
            errors.AddRange(proxyErrors);
            return null;
        }

        // AiGuard's own checks first (they say what to do), then what YARP's validator found.
        var stageNames = stages.Select(s => s.Name).Distinct().ToArray();
        GatewayConfigurationValidator.Validate(options, routes, clusters, protocols, stageNames, errors, warnings);
        errors.AddRange(proxyErrors);
        if (errors.Count > 0)
        {
            return null;
        }

        var anomalyPolicies = options.Anomaly.Policies.ToDictionary(p => p.Key, p => new Anomaly.AnomalyPolicy(p.Key, p.Value), StringComparer.Ordinal);
        // Quarantines come from the anomaly engine and, with the admin API on, from operators: every route checks them then.
        var quarantines = options.Admin.Enabled || options.Policies.Values.Any(p => !string.IsNullOrEmpty(p.Anomaly) && anomalyPolicies[p.Anomaly].Quarantines);
        var policies = new Dictionary<string, RoutePolicy>(StringComparer.Ordinal);
        foreach (var route in routes)
        {
            var name = route.Metadata![AiGuardOptions.PolicyMetadataKey];
            var policyOptions = options.Policies[name];
            protocols.TryGet(policyOptions.Protocol, out var adapter);
            var anomaly = string.IsNullOrEmpty(policyOptions.Anomaly) ? null : anomalyPolicies[policyOptions.Anomaly];
            var policy = new RoutePolicy(route.RouteId, name, adapter!, policyOptions, options.Limits, PathPrefix(route), section.GetSection($"Policies:{name}"), anomaly, quarantines);
            policy.UseStages(stages);
            policies[route.RouteId] = policy;
        }

        return new GatewaySnapshot(
            version,
            options,
            ApiKeyStore.Build(options.ApiKeys),
            policies,
            routes,
            clusters,
            UpstreamHeaders(options),
            [.. new[] { "Authorization", "Proxy-Authorization", "x-api-key", options.ApiKeys.HeaderName }.Distinct(StringComparer.OrdinalIgnoreCase)]);
    }

    /// <summary>Reads routes and clusters with YARP's own configuration reader and validator.</summary>
    private static (IReadOnlyList<RouteConfig> Routes, IReadOnlyList<ClusterConfig> Clusters, bool Read) ReadProxyConfig(IConfigurationSection section, List<string> errors)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddReverseProxy().LoadFromConfig(section);
        using var provider = services.BuildServiceProvider();
        IProxyConfig config;
        try
        {
            config = provider.GetRequiredService<IProxyConfigProvider>().GetConfig();
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            errors.Add($"{ProxySection}: {ex.Message}");
            return ([], [], false);
        }

        var validator = provider.GetRequiredService<IConfigValidator>();
        foreach (var route in config.Routes)
        {
            foreach (var problem in validator.ValidateRouteAsync(route).AsTask().GetAwaiter().GetResult())
            {
                errors.Add($"{ProxySection}:Routes:{route.RouteId}: {problem.Message}");
            }
        }

        foreach (var cluster in config.Clusters)
        {
            foreach (var problem in validator.ValidateClusterAsync(cluster).AsTask().GetAwaiter().GetResult())
            {
                errors.Add($"{ProxySection}:Clusters:{cluster.ClusterId}: {problem.Message}");
            }
        }

        return (config.Routes, config.Clusters, true);
    }

    // YARP removes this prefix before forwarding, so the protocol adapter must not see it either.
    private static string PathPrefix(RouteConfig route)
    {
        foreach (var transform in route.Transforms ?? [])
        {
            foreach (var (key, value) in transform)
            {
                if (string.Equals(key, "PathRemovePrefix", StringComparison.OrdinalIgnoreCase))
                {
                    return value.TrimEnd('/');
                }
            }
        }

        return string.Empty;
    }

    private static Dictionary<string, KeyValuePair<string, string>[]> UpstreamHeaders(AiGuardOptions options)
    {
        var upstreams = new Dictionary<string, KeyValuePair<string, string>[]>(StringComparer.OrdinalIgnoreCase);
        foreach (var (clusterId, upstream) in options.Upstreams)
        {
            var headers = new List<KeyValuePair<string, string>>();
            var credential = upstream.CredentialEnvironmentVariable is { Length: > 0 } variable
                ? Environment.GetEnvironmentVariable(variable)
                : upstream.Credential;
            if (!string.IsNullOrEmpty(credential))
            {
                headers.Add(new(upstream.CredentialHeader, upstream.CredentialPrefix + credential));
            }

            headers.AddRange(upstream.Headers);
            upstreams[clusterId] = [.. headers];
        }

        return upstreams;
    }

    private void LogWarnings(List<string> warnings)
    {
        foreach (var warning in warnings)
        {
            LogWarning(_logger, warning);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Configuration: {Warning}")]
    private static partial void LogWarning(ILogger logger, string warning);

    [LoggerMessage(Level = LogLevel.Error, Message = "Configuration change rejected ({Count} problems); version {Version} stays in force: {Errors}")]
    private static partial void LogRejected(ILogger logger, int count, long version, string errors);

    [LoggerMessage(Level = LogLevel.Error, Message = "YARP refused to apply the new routes; configuration version {Version} is back in force")]
    private static partial void LogYarpRefused(ILogger logger, Exception exception, long version);

    [LoggerMessage(Level = LogLevel.Information, Message = "Configuration version {Version} applied: {Routes} routes, {Keys} API keys")]
    private static partial void LogApplied(ILogger logger, long version, int routes, int keys);

    /// <summary>The routes and clusters YARP was handed, with the token that tells YARP they were replaced.</summary>
    private sealed class ProxyConfig : IProxyConfig
    {
        private readonly CancellationTokenSource _changed = new();

        public ProxyConfig(GatewaySnapshot snapshot)
        {
            Routes = snapshot.ProxyRoutes;
            Clusters = snapshot.ProxyClusters;
            ChangeToken = new CancellationChangeToken(_changed.Token);
            RevisionId = snapshot.Version.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        public string RevisionId { get; }

        public IReadOnlyList<RouteConfig> Routes { get; }

        public IReadOnlyList<ClusterConfig> Clusters { get; }

        public IChangeToken ChangeToken { get; }

        public static bool Same(GatewaySnapshot a, GatewaySnapshot b) =>
            a.ProxyRoutes.SequenceEqual(b.ProxyRoutes) && a.ProxyClusters.SequenceEqual(b.ProxyClusters);

        public void SignalChange() => _changed.Cancel();
    }
}
