using System.Threading.RateLimiting;

namespace AiGuard.Limits;

/// <summary>
/// A <see cref="RateLimiter"/> whose time comes from a <see cref="TimeProvider"/> and whose state
/// is brought up to date on each call (no timer), so it is exact, testable with a fake clock, and
/// can tell how many permits remain and when the quota resets (the RateLimit headers need both).
/// </summary>
/// <remarks>
/// System.Threading.RateLimiting's own window and bucket limiters read the machine clock and
/// expose neither value (dotnet/runtime#106447), so the three time-based algorithms are
/// implemented here on its <see cref="RateLimiter"/> contract; the concurrency limit uses its
/// <see cref="ConcurrencyLimiter"/>. Nothing is queued: a gateway answers at once.
/// A permit taken by a request that another limit then refuses is given back
/// (<see cref="LimitLease.Return"/>), so a refused request costs nothing.
/// </remarks>
public abstract class ClockRateLimiter : RateLimiter, ILeaseOwner
{
    private readonly Lock _lock = new();
    private long _lastUsed;

    protected ClockRateLimiter(TimeProvider time, int permitLimit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(permitLimit, 1);
        Time = time;
        PermitLimit = permitLimit;
        _lastUsed = time.GetTimestamp();
    }

    protected TimeProvider Time { get; }

    public int PermitLimit { get; }

    /// <summary>How long it takes for a full quota to come back; the limiter is idle once that long unused.</summary>
    protected abstract TimeSpan FullResetTime { get; }

    public override TimeSpan? IdleDuration
    {
        get
        {
            var idle = Time.GetElapsedTime(Volatile.Read(ref _lastUsed));
            return idle >= FullResetTime ? idle : null;
        }
    }

    public override RateLimiterStatistics? GetStatistics()
    {
        lock (_lock)
        {
            Advance(Time.GetTimestamp());
            return new RateLimiterStatistics { CurrentAvailablePermits = Available };
        }
    }

    /// <summary>Permits available now.</summary>
    protected abstract long Available { get; }

    /// <summary>Brings the state up to <paramref name="now"/>.</summary>
    protected abstract void Advance(long now);

    /// <summary>Takes permits that are available.</summary>
    protected abstract void Take(int permits, long now);

    /// <summary>Gives back permits taken at <paramref name="takenAt"/>.</summary>
    protected abstract void Give(int permits, long takenAt);

    /// <summary>When the whole quota is back if nothing more is taken.</summary>
    protected abstract TimeSpan ResetAfter(long now);

    /// <summary>How long until <paramref name="permits"/> permits are available.</summary>
    protected abstract TimeSpan RetryAfter(int permits, long now);

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(permitCount, PermitLimit);
        var now = Time.GetTimestamp();
        lock (_lock)
        {
            Advance(now);
            // Zero permits asks whether a request would pass now, taking nothing.
            if (permitCount == 0 ? Available > 0 : Available >= permitCount)
            {
                if (permitCount > 0)
                {
                    Take(permitCount, now);
                    Volatile.Write(ref _lastUsed, now);
                }

                return new LimitLease(this, acquired: true, permitCount, now, Available, ResetAfter(now), TimeSpan.Zero);
            }

            return new LimitLease(this, acquired: false, 0, now, Available, ResetAfter(now), RetryAfter(Math.Max(permitCount, 1), now));
        }
    }

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
        ValueTask.FromResult(AttemptAcquireCore(permitCount));

    void ILeaseOwner.Return(int permits, long takenAt)
    {
        lock (_lock)
        {
            Advance(Time.GetTimestamp());
            Give(permits, takenAt);
        }
    }

    /// <summary>Seconds, rounded up, at least 1 for a positive time: what <c>Retry-After</c> and the <c>t</c> parameter carry.</summary>
    public static long Seconds(TimeSpan time) => time <= TimeSpan.Zero ? 0 : (long)Math.Ceiling(time.TotalSeconds);
}

/// <summary>The answer of a <see cref="ClockRateLimiter"/>: whether permits were taken, what remains, when the quota resets.</summary>
public sealed class LimitLease : RateLimitLease, IReportsRemaining
{
    private static readonly string[] Names = [MetadataName.RetryAfter.Name];
    private readonly ILeaseOwner? _limiter;
    private readonly long _takenAt;
    private int _permits;

    internal LimitLease(ILeaseOwner? limiter, bool acquired, int permits, long takenAt, long remaining, TimeSpan resetAfter, TimeSpan retryAfter)
    {
        _limiter = limiter;
        IsAcquired = acquired;
        _permits = permits;
        _takenAt = takenAt;
        Remaining = remaining;
        ResetAfter = resetAfter;
        RetryAfter = retryAfter;
    }

    public override bool IsAcquired { get; }

    /// <summary>Permits left after this request.</summary>
    public long Remaining { get; }

    /// <summary>Until the whole quota is back.</summary>
    public TimeSpan ResetAfter { get; }

    /// <summary>For a refusal: until enough permits are back.</summary>
    public TimeSpan RetryAfter { get; }

    public override IEnumerable<string> MetadataNames => IsAcquired ? [] : Names;

    public override bool TryGetMetadata(string metadataName, out object? metadata)
    {
        if (!IsAcquired && metadataName == MetadataName.RetryAfter.Name)
        {
            metadata = RetryAfter;
            return true;
        }

        metadata = null;
        return false;
    }

    /// <summary>Gives the permits back: the request they were taken for was refused by another limit.</summary>
    public void Return()
    {
        var permits = Interlocked.Exchange(ref _permits, 0);
        if (permits > 0)
        {
            _limiter?.Return(permits, _takenAt);
        }
    }
}

/// <summary>A limiter that can take back permits of a lease it gave (the request was refused by another limit).</summary>
internal interface ILeaseOwner
{
    void Return(int permits, long takenAt);
}

/// <summary>A lease that knows how many permits its limit has left.</summary>
public interface IReportsRemaining
{
    long Remaining { get; }
}

/// <summary><c>PermitLimit</c> requests per window; the windows follow each other from the limiter's first use.</summary>
public sealed class FixedWindowLimiter : ClockRateLimiter
{
    private readonly long _window;
    private long _windowStart;
    private long _count;

    public FixedWindowLimiter(TimeProvider time, int permitLimit, TimeSpan window)
        : base(time, permitLimit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        _window = Ticks(time, window);
        _windowStart = time.GetTimestamp();
    }

    protected override TimeSpan FullResetTime => TimeSpan.FromSeconds(_window / (double)Time.TimestampFrequency);

    protected override long Available => PermitLimit - _count;

    protected override void Advance(long now)
    {
        if (now - _windowStart >= _window)
        {
            _windowStart += (now - _windowStart) / _window * _window;
            _count = 0;
        }
    }

    protected override void Take(int permits, long now) => _count += permits;

    protected override void Give(int permits, long takenAt)
    {
        if (takenAt >= _windowStart)
        {
            _count = Math.Max(0, _count - permits);
        }
    }

    protected override TimeSpan ResetAfter(long now) => Elapsed(_windowStart + _window - now);

    protected override TimeSpan RetryAfter(int permits, long now) => ResetAfter(now);

    private TimeSpan Elapsed(long ticks) => TimeSpan.FromSeconds(Math.Max(0, ticks) / (double)Time.TimestampFrequency);

    internal static long Ticks(TimeProvider time, TimeSpan span) => Math.Max(1, (long)(span.TotalSeconds * time.TimestampFrequency));
}

/// <summary><c>PermitLimit</c> requests in any window, counted per segment: a segment's requests leave the count a window after it began.</summary>
public sealed class SlidingWindowLimiter : ClockRateLimiter
{
    private readonly long _segment;
    private readonly long[] _counts;
    private long _segmentStart;
    private int _current;
    private long _total;

    public SlidingWindowLimiter(TimeProvider time, int permitLimit, TimeSpan window, int segments)
        : base(time, permitLimit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(window, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(segments, 2);
        _counts = new long[segments];
        _segment = Math.Max(1, FixedWindowLimiter.Ticks(time, window) / segments);
        _segmentStart = time.GetTimestamp();
    }

    protected override TimeSpan FullResetTime => Span(_segment * _counts.Length);

    protected override long Available => PermitLimit - _total;

    protected override void Advance(long now)
    {
        var steps = (now - _segmentStart) / _segment;
        if (steps <= 0)
        {
            return;
        }

        for (long i = 0; i < Math.Min(steps, _counts.Length); i++)
        {
            _current = (_current + 1) % _counts.Length;
            _total -= _counts[_current];
            _counts[_current] = 0;
        }

        _segmentStart += steps * _segment;
    }

    protected override void Take(int permits, long now)
    {
        _counts[_current] += permits;
        _total += permits;
    }

    protected override void Give(int permits, long takenAt)
    {
        // Only permits still in the current segment are given back; older ones may have left already.
        if (takenAt >= _segmentStart)
        {
            var back = Math.Min(permits, _counts[_current]);
            _counts[_current] -= back;
            _total -= back;
        }
    }

    protected override TimeSpan ResetAfter(long now)
    {
        // The newest segment holding requests leaves the window last.
        for (var age = 0; age < _counts.Length; age++)
        {
            var index = ((_current - age) % _counts.Length + _counts.Length) % _counts.Length;
            if (_counts[index] > 0)
            {
                return Span(_segmentStart + ((_counts.Length - age) * _segment) - now);
            }
        }

        return TimeSpan.Zero;
    }

    protected override TimeSpan RetryAfter(int permits, long now)
    {
        // The oldest segments leave first: wait until enough of them have.
        var needed = permits - Available;
        for (var age = _counts.Length - 1; age >= 0; age--)
        {
            var index = ((_current - age) % _counts.Length + _counts.Length) % _counts.Length;
            needed -= _counts[index];
            if (needed <= 0)
            {
                return Span(_segmentStart + ((_counts.Length - age) * _segment) - now);
            }
        }

        return FullResetTime;
    }

    private TimeSpan Span(long ticks) => TimeSpan.FromSeconds(Math.Max(0, ticks) / (double)Time.TimestampFrequency);
}

/// <summary>A bucket of <c>PermitLimit</c> tokens, <c>TokensPerPeriod</c> added every period up to the limit.</summary>
public sealed class TokenBucketLimiter : ClockRateLimiter
{
    private readonly long _period;
    private readonly int _perPeriod;
    private long _tokens;
    private long _periodStart;

    public TokenBucketLimiter(TimeProvider time, int tokenLimit, int tokensPerPeriod, TimeSpan period)
        : base(time, tokenLimit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(tokensPerPeriod, 1);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(period, TimeSpan.Zero);
        _period = FixedWindowLimiter.Ticks(time, period);
        _perPeriod = tokensPerPeriod;
        _tokens = tokenLimit;
        _periodStart = time.GetTimestamp();
    }

    protected override TimeSpan FullResetTime => Span(_period * ((PermitLimit + _perPeriod - 1) / _perPeriod));

    protected override long Available => _tokens;

    protected override void Advance(long now)
    {
        var periods = (now - _periodStart) / _period;
        if (periods > 0)
        {
            _tokens = Math.Min(PermitLimit, _tokens + (periods * _perPeriod));
            _periodStart += periods * _period;
        }
    }

    protected override void Take(int permits, long now)
    {
        if (_tokens == PermitLimit)
        {
            // A full bucket banks no time: refilling starts when the first token is taken.
            _periodStart = now;
        }

        _tokens -= permits;
    }

    protected override void Give(int permits, long takenAt) => _tokens = Math.Min(PermitLimit, _tokens + permits);

    protected override TimeSpan ResetAfter(long now) => PeriodsUntil(PermitLimit - _tokens, now);

    protected override TimeSpan RetryAfter(int permits, long now) => PeriodsUntil(permits - _tokens, now);

    private TimeSpan PeriodsUntil(long missing, long now)
    {
        if (missing <= 0)
        {
            return TimeSpan.Zero;
        }

        var periods = (missing + _perPeriod - 1) / _perPeriod;
        return Span(_periodStart + (periods * _period) - now);
    }

    private TimeSpan Span(long ticks) => TimeSpan.FromSeconds(Math.Max(0, ticks) / (double)Time.TimestampFrequency);
}
