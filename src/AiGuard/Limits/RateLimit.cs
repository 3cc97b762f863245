using System.Threading.RateLimiting;
using AiGuard.Pipeline;

namespace AiGuard.Limits;

/// <summary>The counter a request is counted on: the values of the partitions a limit names (others null).</summary>
public readonly record struct LimitKey(string? Client, string? Tenant, string? Route, string? Model)
{
    /// <summary>The counter of a request under the partitions a limit or budget names.</summary>
    public static LimitKey For(PartitionFlags by, GuardContext guard)
    {
        var client = guard.Client;
        return new LimitKey(
            by.HasFlag(PartitionFlags.Client) ? client?.ClientId : null,
            by.HasFlag(PartitionFlags.Tenant) ? client?.Tenant : null,
            by.HasFlag(PartitionFlags.Route) ? guard.RouteId : null,
            by.HasFlag(PartitionFlags.Model) ? guard.Request?.Model ?? guard.Operation?.ModelFromPath : null);
    }
}

/// <summary>One configured limit, live: its definition and its limiter per partition.</summary>
/// <remarks>Kept across configuration reloads while its definition is unchanged, so a reload does not reset counters.</remarks>
public sealed class RateLimit : IDisposable
{
    private readonly PartitionedRateLimiter<LimitKey> _limiter;
    private readonly Func<LimitKey, RateLimiter> _create;

    public RateLimit(string name, RateLimitDefinition definition, TimeProvider time, RedisStore? redis = null)
    {
        Name = name;
        Definition = definition;
        IsShared = redis is not null;
        _create = redis is not null ? key => new RedisRateLimiter(redis, name, definition, key, time) : definition.Kind switch
        {
            RateLimitKind.FixedWindow => _ => new FixedWindowLimiter(time, definition.PermitLimit, definition.Window),
            RateLimitKind.SlidingWindow => _ => new SlidingWindowLimiter(time, definition.PermitLimit, definition.Window, definition.SegmentsPerWindow),
            RateLimitKind.TokenBucket => _ => new TokenBucketLimiter(time, definition.PermitLimit, definition.TokensPerPeriod, definition.ReplenishmentPeriod),
            _ => _ => new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = definition.PermitLimit, QueueLimit = 0 }),
        };
        _limiter = PartitionedRateLimiter.Create<LimitKey, LimitKey>(key => RateLimitPartition.Get(key, _create));
        // The RateLimit-Policy item: quota and, for a window, its length in seconds.
        PolicyHeaderItem = definition.Kind switch
        {
            RateLimitKind.Concurrency => $"\"{name}\";q={definition.PermitLimit}",
            RateLimitKind.TokenBucket => $"\"{name}\";q={definition.PermitLimit};w={ClockRateLimiter.Seconds(definition.ReplenishmentPeriod * Math.Ceiling(definition.PermitLimit / (double)definition.TokensPerPeriod))}",
            _ => $"\"{name}\";q={definition.PermitLimit};w={ClockRateLimiter.Seconds(definition.Window)}",
        };
    }

    public string Name { get; }

    public RateLimitDefinition Definition { get; }

    /// <summary>This limit's item of the <c>RateLimit-Policy</c> header.</summary>
    public string PolicyHeaderItem { get; }

    public bool IsConcurrency => Definition.Kind == RateLimitKind.Concurrency;

    /// <summary>The counter of this request.</summary>
    public LimitKey KeyFor(GuardContext guard) => LimitKey.For(Definition.PartitionBy, guard);

    /// <summary>Counts the request; completes at once in process, after one round trip with Redis. Never queues.</summary>
    public ValueTask<RateLimitLease> AcquireAsync(LimitKey key) =>
        IsShared ? _limiter.AcquireAsync(key) : new(_limiter.AttemptAcquire(key));

    /// <summary>Whether the counters live in Redis, shared by every replica.</summary>
    public bool IsShared { get; }

    /// <summary>Permits available now on a counter (for the concurrency limit's header).</summary>
    public long Available(LimitKey key) => _limiter.GetStatistics(key)?.CurrentAvailablePermits ?? 0;

    public void Dispose() => _limiter.Dispose();
}

/// <summary>The partitions of a limit as flags.</summary>
[Flags]
public enum PartitionFlags
{
    None = 0,
    Client = 1,
    Tenant = 2,
    Route = 4,
    Model = 8,
}

/// <summary>A limit's definition, normalized: two equal definitions are the same limit.</summary>
public sealed record RateLimitDefinition(
    RateLimitKind Kind,
    PartitionFlags PartitionBy,
    int PermitLimit,
    TimeSpan Window,
    int SegmentsPerWindow,
    int TokensPerPeriod,
    TimeSpan ReplenishmentPeriod,
    int LeaseSize = 1)
{
    public static RateLimitDefinition From(RateLimitPolicyOptions options)
    {
        var by = PartitionFlags.None;
        foreach (var partition in options.PartitionBy)
        {
            by |= partition switch
            {
                LimitPartition.Client => PartitionFlags.Client,
                LimitPartition.Tenant => PartitionFlags.Tenant,
                LimitPartition.Route => PartitionFlags.Route,
                _ => PartitionFlags.Model,
            };
        }

        return new RateLimitDefinition(
            options.Kind,
            by == PartitionFlags.None ? PartitionFlags.Client : by,
            options.PermitLimit,
            options.Kind is RateLimitKind.FixedWindow or RateLimitKind.SlidingWindow ? options.Window : TimeSpan.Zero,
            options.Kind == RateLimitKind.SlidingWindow ? options.SegmentsPerWindow : 0,
            options.Kind == RateLimitKind.TokenBucket ? options.TokensPerPeriod : 0,
            options.Kind == RateLimitKind.TokenBucket ? options.ReplenishmentPeriod : TimeSpan.Zero,
            options.Kind == RateLimitKind.FixedWindow ? Math.Max(1, options.LeaseSize) : 1);
    }
}
