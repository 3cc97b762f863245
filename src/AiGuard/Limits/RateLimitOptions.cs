namespace AiGuard.Limits;

/// <summary>The <c>AiGuard:RateLimits</c> section: named request limits that policies attach, and the throttling of failed authentication.</summary>
public sealed class RateLimitsOptions
{
    /// <summary>Named limits; a policy lists the ones that apply to its routes under <c>RateLimits</c>.</summary>
    public Dictionary<string, RateLimitPolicyOptions> Policies { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How fast a source address (or a key id) may fail to authenticate.</summary>
    public AuthenticationLimitsOptions Authentication { get; set; } = new();
}

/// <summary>The algorithm of a limit.</summary>
public enum RateLimitKind
{
    /// <summary><c>PermitLimit</c> requests per <c>Window</c>; the count starts again at the end of each window.</summary>
    FixedWindow,

    /// <summary><c>PermitLimit</c> requests in any <c>Window</c>, tracked in <c>SegmentsPerWindow</c> segments (no burst at a window edge).</summary>
    SlidingWindow,

    /// <summary>A bucket of <c>PermitLimit</c> tokens refilled by <c>TokensPerPeriod</c> every <c>ReplenishmentPeriod</c>: bursts up to the bucket, a steady rate after.</summary>
    TokenBucket,

    /// <summary>At most <c>PermitLimit</c> requests in flight at once (held until the answer is sent).</summary>
    Concurrency,
}

/// <summary>What a limit counts separately: each combination of the listed values has its own counter.</summary>
public enum LimitPartition
{
    /// <summary>The authenticated client (API key client id or token subject).</summary>
    Client,

    /// <summary>The client's tenant: every client of a tenant shares the counter.</summary>
    Tenant,

    /// <summary>The YARP route.</summary>
    Route,

    /// <summary>The model the request names (body or path).</summary>
    Model,
}

/// <summary>One named request limit.</summary>
public sealed class RateLimitPolicyOptions
{
    public RateLimitKind Kind { get; set; } = RateLimitKind.FixedWindow;

    /// <summary>What is counted separately; empty means per client.</summary>
    public List<LimitPartition> PartitionBy { get; set; } = [];

    /// <summary>Requests per window, tokens in the bucket, or requests in flight.</summary>
    public int PermitLimit { get; set; }

    /// <summary>The window of a fixed or sliding window limit.</summary>
    public TimeSpan Window { get; set; }

    /// <summary>Segments of a sliding window (2 to 1000; default 6).</summary>
    public int SegmentsPerWindow { get; set; } = 6;

    /// <summary>Tokens added to a token bucket every <see cref="ReplenishmentPeriod"/>.</summary>
    public int TokensPerPeriod { get; set; }

    /// <summary>How often a token bucket is refilled.</summary>
    public TimeSpan ReplenishmentPeriod { get; set; }

    /// <summary>
    /// With Redis, a fixed-window limit lets each replica take this many permits per round trip
    /// and hand them out locally (default 1: one round trip per request). Never admits more than
    /// the limit; may refuse early by what other replicas hold unused (at most replicas x (LeaseSize - 1)).
    /// </summary>
    public int LeaseSize { get; set; } = 1;
}

/// <summary>Throttling of failed and missing authentication, so guessing keys is slow and visible.</summary>
/// <remarks>
/// Each limit is a fixed window; set its <c>PermitLimit</c> to 0 to switch it off. While a limit
/// is exhausted, requests it covers are answered 429 <c>auth_throttled</c> with <c>Retry-After</c>
/// without the key even being checked. Only failures count, so good clients are not slowed unless
/// they share an address with the guesser.
/// </remarks>
public sealed class AuthenticationLimitsOptions
{
    /// <summary>Failed authentications (unknown, wrong, expired or revoked key) per source address. Default 20 per minute.</summary>
    public WindowLimitOptions FailuresPerAddress { get; set; } = new() { PermitLimit = 20, Window = TimeSpan.FromMinutes(1) };

    /// <summary>Failed authentications per presented key id, from any address (slows a distributed guess of one key). Default 10 per minute.</summary>
    public WindowLimitOptions FailuresPerKeyId { get; set; } = new() { PermitLimit = 10, Window = TimeSpan.FromMinutes(1) };

    /// <summary>Requests with no credentials at all per source address. Default 60 per minute.</summary>
    public WindowLimitOptions UnauthenticatedPerAddress { get; set; } = new() { PermitLimit = 60, Window = TimeSpan.FromMinutes(1) };
}

/// <summary>A fixed-window limit: <see cref="PermitLimit"/> per <see cref="Window"/>; 0 switches it off.</summary>
public sealed class WindowLimitOptions
{
    public int PermitLimit { get; set; }

    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(1);
}
