using System.Net;
using System.Threading.RateLimiting;
using AiGuard.Configuration;

namespace AiGuard.Limits;

/// <summary>
/// Slows key guessing: failed authentications are counted per source address and per presented
/// key id, requests with no credentials per address, and while a count is exhausted the requests
/// it covers are refused before any key is checked.
/// </summary>
/// <remarks>
/// Only failures are counted, so a good client is slowed only if it shares an address (or a key
/// id) with the guesser. When no failure happened for a whole window the checks cost one clock
/// read. The source address is the connection's; behind a load balancer, configure ASP.NET Core's
/// forwarded headers so it is the client's (docs/configuration.md).
/// </remarks>
public sealed class AuthenticationThrottle : IDisposable
{
    private readonly TimeProvider _time;
    private readonly Lock _lock = new();
    private Limiters? _limiters;
    private long _lastFailure = long.MinValue / 2;

    public AuthenticationThrottle(TimeProvider time) => _time = time;

    /// <summary>Which count refused a request, and for how long.</summary>
    public readonly record struct Throttled(string Limit, TimeSpan RetryAfter);

    /// <summary>Counts a request with no credentials; returns the refusal when the address sent too many.</summary>
    public Throttled? Unauthenticated(GatewaySnapshot snapshot, IPAddress? address)
    {
        var limiters = For(snapshot);
        if (limiters.Unauthenticated is not { } limiter)
        {
            return null;
        }

        using var lease = limiter.AttemptAcquire(Normalize(address));
        return lease.IsAcquired ? null : new Throttled("unauthenticated_per_address", RetryAfter(lease, limiters.Options.UnauthenticatedPerAddress.Window));
    }

    /// <summary>Whether earlier failures from this address or for this key id hold this attempt back; counts nothing.</summary>
    public Throttled? Check(GatewaySnapshot snapshot, IPAddress? address, ReadOnlySpan<char> presentedKey)
    {
        var limiters = For(snapshot);
        if (_time.GetElapsedTime(Volatile.Read(ref _lastFailure)) > limiters.LongestWindow)
        {
            // Nothing failed for a whole window: nothing can be exhausted.
            return null;
        }

        if (limiters.PerAddress is { } perAddress)
        {
            using var lease = perAddress.AttemptAcquire(Normalize(address), 0);
            if (!lease.IsAcquired)
            {
                return new Throttled("failures_per_address", RetryAfter(lease, limiters.Options.FailuresPerAddress.Window));
            }
        }

        if (limiters.PerKeyId is { } perKeyId && Identity.ApiKeyFormat.TryParse(presentedKey, out Range prefix, out Range id))
        {
            using var lease = perKeyId.AttemptAcquire(KeyIdPartition(presentedKey, prefix, id), 0);
            if (!lease.IsAcquired)
            {
                return new Throttled("failures_per_key_id", RetryAfter(lease, limiters.Options.FailuresPerKeyId.Window));
            }
        }

        return null;
    }

    /// <summary>Counts a failed authentication against the address and the key id it named.</summary>
    public void Failed(GatewaySnapshot snapshot, IPAddress? address, ReadOnlySpan<char> presentedKey)
    {
        var limiters = For(snapshot);
        Volatile.Write(ref _lastFailure, _time.GetTimestamp());
        limiters.PerAddress?.AttemptAcquire(Normalize(address)).Dispose();
        if (limiters.PerKeyId is { } perKeyId && Identity.ApiKeyFormat.TryParse(presentedKey, out Range prefix, out Range id))
        {
            perKeyId.AttemptAcquire(KeyIdPartition(presentedKey, prefix, id)).Dispose();
        }
    }

    /// <summary>The key id with its prefix (<c>agk_Ab12...</c>): keys of different stores never share a count.</summary>
    private static string KeyIdPartition(ReadOnlySpan<char> presentedKey, Range prefix, Range id) =>
        string.Concat(presentedKey[prefix], "_", presentedKey[id]);

    public void Dispose()
    {
        lock (_lock)
        {
            _limiters?.Dispose();
            _limiters = null;
        }
    }

    private static TimeSpan RetryAfter(RateLimitLease lease, TimeSpan window) =>
        lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : window;

    // IPv4 clients may arrive as IPv4-mapped IPv6 addresses on a dual-stack socket: one client, one counter.
    private static IPAddress Normalize(IPAddress? address) =>
        address is null ? IPAddress.None : address.IsIPv4MappedToIPv6 ? address.MapToIPv4() : address;

    private Limiters For(GatewaySnapshot snapshot)
    {
        var options = snapshot.Options.RateLimits.Authentication;
        var current = Volatile.Read(ref _limiters);
        if (current is not null && (ReferenceEquals(current.Source, options) || current.Matches(options)))
        {
            // The same options object for every request of a configuration: one reference check.
            current.Source = options;
            return current;
        }

        lock (_lock)
        {
            if (_limiters is null || !_limiters.Matches(options))
            {
                var old = _limiters;
                _limiters = new Limiters(options, _time) { Source = options };
                old?.Dispose();
            }

            return _limiters;
        }
    }

    private sealed class Limiters : IDisposable
    {
        private readonly (int, TimeSpan)[] _definition;

        public Limiters(AuthenticationLimitsOptions options, TimeProvider time)
        {
            Options = new AuthenticationLimitsOptions
            {
                FailuresPerAddress = Copy(options.FailuresPerAddress),
                FailuresPerKeyId = Copy(options.FailuresPerKeyId),
                UnauthenticatedPerAddress = Copy(options.UnauthenticatedPerAddress),
            };
            _definition = Definition(options);
            PerAddress = Create<IPAddress>(Options.FailuresPerAddress, time);
            PerKeyId = Create<string>(Options.FailuresPerKeyId, time);
            Unauthenticated = Create<IPAddress>(Options.UnauthenticatedPerAddress, time);
            LongestWindow = new[] { Options.FailuresPerAddress, Options.FailuresPerKeyId }.Where(l => l.PermitLimit > 0).Select(l => l.Window).DefaultIfEmpty(TimeSpan.Zero).Max();
        }

        public AuthenticationLimitsOptions Options { get; }

        /// <summary>The options object of the configuration these limiters were last matched against.</summary>
        public AuthenticationLimitsOptions? Source { get; set; }

        public PartitionedRateLimiter<IPAddress>? PerAddress { get; }

        public PartitionedRateLimiter<string>? PerKeyId { get; }

        public PartitionedRateLimiter<IPAddress>? Unauthenticated { get; }

        public TimeSpan LongestWindow { get; }

        public bool Matches(AuthenticationLimitsOptions options) => Definition(options).AsSpan().SequenceEqual(_definition);

        public void Dispose()
        {
            PerAddress?.Dispose();
            PerKeyId?.Dispose();
            Unauthenticated?.Dispose();
        }

        private static (int, TimeSpan)[] Definition(AuthenticationLimitsOptions o) =>
            [(o.FailuresPerAddress.PermitLimit, o.FailuresPerAddress.Window), (o.FailuresPerKeyId.PermitLimit, o.FailuresPerKeyId.Window), (o.UnauthenticatedPerAddress.PermitLimit, o.UnauthenticatedPerAddress.Window)];

        private static WindowLimitOptions Copy(WindowLimitOptions o) => new() { PermitLimit = o.PermitLimit, Window = o.Window };

        private static PartitionedRateLimiter<TKey>? Create<TKey>(WindowLimitOptions limit, TimeProvider time)
            where TKey : notnull
        {
            if (limit.PermitLimit <= 0)
            {
                return null;
            }

            var (permits, window) = (limit.PermitLimit, limit.Window);
            Func<TKey, RateLimiter> create = _ => new FixedWindowLimiter(time, permits, window);
            return PartitionedRateLimiter.Create<TKey, TKey>(key => RateLimitPartition.Get(key, create));
        }
    }
}
