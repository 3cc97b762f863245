using System.Runtime.CompilerServices;
using AiGuard.Configuration;

namespace AiGuard.Limits;

/// <summary>The live limits, by name: built on first use, kept while their definition is unchanged across reloads.</summary>
public sealed class RateLimitRegistry : IDisposable
{
    private readonly TimeProvider _time;
    private readonly RedisStore? _redis;
    private readonly Lock _lock = new();
    private readonly Dictionary<string, RateLimit> _live = new(StringComparer.Ordinal);
    private readonly ConditionalWeakTable<RoutePolicy, RateLimit[]> _byRoute = [];
    private readonly ConditionalWeakTable<RateLimit[], string> _policyHeaders = [];

    public RateLimitRegistry(TimeProvider time, RedisConnectionHolder? redis = null)
    {
        _time = time;
        _redis = redis?.Store;
    }

    /// <summary>The limits of a route under the configuration it came from, resolved once per route and configuration.</summary>
    public RateLimit[] For(GatewaySnapshot snapshot, RoutePolicy route)
    {
        if (_byRoute.TryGetValue(route, out var limits))
        {
            return limits;
        }

        lock (_lock)
        {
            limits = [.. route.RateLimits.Select(name => Live(name, RateLimitDefinition.From(snapshot.Options.RateLimits.Policies[name])))];
            _byRoute.AddOrUpdate(route, limits);
            return limits;
        }
    }

    /// <summary>The <c>RateLimit-Policy</c> value of a route's limits, built once.</summary>
    public string PolicyHeader(RateLimit[] limits) =>
        _policyHeaders.GetValue(limits, l => RateLimitHeaders.PolicyValue(l, l.Length));

    private RateLimit Live(string name, RateLimitDefinition definition)
    {
        if (_live.TryGetValue(name, out var limit))
        {
            if (limit.Definition == definition)
            {
                return limit;
            }

            // A changed definition starts from fresh counters.
            limit.Dispose();
        }

        return _live[name] = new RateLimit(name, definition, _time, _redis);
    }

    public void Dispose()
    {
        lock (_lock)
        {
            foreach (var limit in _live.Values)
            {
                limit.Dispose();
            }

            _live.Clear();
        }
    }
}
