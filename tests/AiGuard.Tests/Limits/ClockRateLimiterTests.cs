using System.Threading.RateLimiting;
using AiGuard.Limits;
using Microsoft.Extensions.Time.Testing;

namespace AiGuard.Tests.Limits;

/// <summary>The time-based limiters against a fake clock: exact counts, remaining permits, reset and retry times.</summary>
public class ClockRateLimiterTests
{
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 26, 8, 0, 0, TimeSpan.Zero));

    [Fact]
    public void A_fixed_window_admits_its_limit_then_refuses_until_the_window_ends()
    {
        using var limiter = new FixedWindowLimiter(_time, 3, TimeSpan.FromMinutes(1));

        var remaining = Enumerable.Range(0, 3).Select(_ => Acquire(limiter)).Select(l => l.Remaining).ToArray();
        _time.Advance(TimeSpan.FromSeconds(20));
        var refused = Acquire(limiter);

        Assert.Equal([2L, 1L, 0L], remaining);
        Assert.False(refused.IsAcquired);
        Assert.Equal(TimeSpan.FromSeconds(40), refused.RetryAfter);
        Assert.True(refused.TryGetMetadata(MetadataName.RetryAfter, out var retry));
        Assert.Equal(TimeSpan.FromSeconds(40), retry);

        _time.Advance(TimeSpan.FromSeconds(40));
        var next = Acquire(limiter);
        Assert.True(next.IsAcquired);
        Assert.Equal(2, next.Remaining);
        Assert.Equal(TimeSpan.FromMinutes(1), next.ResetAfter);
    }

    [Fact]
    public void A_fixed_window_skipped_several_times_starts_on_the_window_grid()
    {
        using var limiter = new FixedWindowLimiter(_time, 1, TimeSpan.FromSeconds(10));
        Assert.True(Acquire(limiter).IsAcquired);

        _time.Advance(TimeSpan.FromSeconds(35));
        var lease = Acquire(limiter);

        Assert.True(lease.IsAcquired);
        Assert.Equal(TimeSpan.FromSeconds(5), lease.ResetAfter);
    }

    [Fact]
    public void A_returned_permit_is_available_again_in_the_same_window_only()
    {
        using var limiter = new FixedWindowLimiter(_time, 1, TimeSpan.FromSeconds(10));
        var taken = Acquire(limiter);
        taken.Return();
        Assert.True(Acquire(limiter).IsAcquired);

        var old = Acquire(limiter);
        Assert.False(old.IsAcquired);
        _time.Advance(TimeSpan.FromSeconds(10));
        var fresh = Acquire(limiter);
        Assert.True(fresh.IsAcquired);
        // A permit from an earlier window does not add to the new one.
        taken.Return();
        Assert.False(Acquire(limiter).IsAcquired);
    }

    [Fact]
    public void Asking_with_zero_permits_takes_nothing()
    {
        using var limiter = new FixedWindowLimiter(_time, 2, TimeSpan.FromSeconds(10));

        Assert.True(limiter.AttemptAcquire(0).IsAcquired);
        Assert.True(Acquire(limiter).IsAcquired);
        Assert.True(limiter.AttemptAcquire(0).IsAcquired);
        Assert.True(Acquire(limiter).IsAcquired);
        Assert.False(limiter.AttemptAcquire(0).IsAcquired);
        Assert.Equal(0, limiter.GetStatistics()!.CurrentAvailablePermits);
    }

    [Fact]
    public void A_sliding_window_lets_requests_go_one_segment_at_a_time()
    {
        // 4 per minute in 4 segments of 15 s.
        using var limiter = new SlidingWindowLimiter(_time, 4, TimeSpan.FromMinutes(1), 4);
        Assert.True(Acquire(limiter).IsAcquired);
        Assert.True(Acquire(limiter).IsAcquired);
        _time.Advance(TimeSpan.FromSeconds(30));
        Assert.True(Acquire(limiter).IsAcquired);
        Assert.True(Acquire(limiter).IsAcquired);

        var refused = Acquire(limiter);
        Assert.False(refused.IsAcquired);
        // The two from t=0 leave the window at t=60: 30 s from now.
        Assert.Equal(TimeSpan.FromSeconds(30), refused.RetryAfter);

        // No edge burst: at t=59 the window still holds four.
        _time.Advance(TimeSpan.FromSeconds(29));
        Assert.False(Acquire(limiter).IsAcquired);

        _time.Advance(TimeSpan.FromSeconds(1));
        var back = Acquire(limiter);
        Assert.True(back.IsAcquired);
        Assert.Equal(1, back.Remaining);
        Assert.True(Acquire(limiter).IsAcquired);
        Assert.False(Acquire(limiter).IsAcquired);
    }

    [Fact]
    public void A_sliding_window_idle_for_longer_than_the_window_is_empty()
    {
        using var limiter = new SlidingWindowLimiter(_time, 2, TimeSpan.FromSeconds(10), 5);
        Acquire(limiter);
        Acquire(limiter);

        _time.Advance(TimeSpan.FromMinutes(5));

        Assert.Equal(2, limiter.GetStatistics()!.CurrentAvailablePermits);
        Assert.NotNull(limiter.IdleDuration);
    }

    [Fact]
    public void A_token_bucket_allows_a_burst_then_the_refill_rate()
    {
        using var limiter = new TokenBucketLimiter(_time, 5, 1, TimeSpan.FromSeconds(2));
        for (var i = 0; i < 5; i++)
        {
            Assert.True(Acquire(limiter).IsAcquired);
        }

        var refused = Acquire(limiter);
        Assert.False(refused.IsAcquired);
        Assert.Equal(TimeSpan.FromSeconds(2), refused.RetryAfter);
        Assert.Equal(TimeSpan.FromSeconds(10), refused.ResetAfter);

        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.True(Acquire(limiter).IsAcquired);
        Assert.False(Acquire(limiter).IsAcquired);

        // A long pause refills up to the bucket, never beyond.
        _time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(5, limiter.GetStatistics()!.CurrentAvailablePermits);
    }

    [Fact]
    public void A_full_bucket_banks_no_time_for_the_next_refill()
    {
        using var limiter = new TokenBucketLimiter(_time, 2, 1, TimeSpan.FromSeconds(10));
        _time.Advance(TimeSpan.FromSeconds(9));
        Acquire(limiter);
        Acquire(limiter);

        _time.Advance(TimeSpan.FromSeconds(1));

        // The refill period started with the first token taken, not at construction.
        Assert.False(Acquire(limiter).IsAcquired);
        _time.Advance(TimeSpan.FromSeconds(9));
        Assert.True(Acquire(limiter).IsAcquired);
    }

    [Fact]
    public async Task Concurrent_requests_never_get_more_than_the_limit()
    {
        using var limiter = new FixedWindowLimiter(_time, 50, TimeSpan.FromHours(1));
        using var start = new Barrier(8);

        var acquired = await Task.WhenAll(Enumerable.Range(0, 8).Select(_ => Task.Run(() =>
        {
            start.SignalAndWait();
            var count = 0;
            for (var i = 0; i < 25; i++)
            {
                if (limiter.AttemptAcquire().IsAcquired)
                {
                    count++;
                }
            }

            return count;
        })));

        Assert.Equal(50, acquired.Sum());
    }

    [Fact]
    public void A_limiter_is_idle_only_once_its_whole_quota_is_back()
    {
        using var limiter = new FixedWindowLimiter(_time, 1, TimeSpan.FromSeconds(30));
        Acquire(limiter);
        _time.Advance(TimeSpan.FromSeconds(29));
        Assert.Null(limiter.IdleDuration);
        _time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(TimeSpan.FromSeconds(31), limiter.IdleDuration);
    }

    [Theory]
    [InlineData(0, 0)]
    [InlineData(1, 1)]
    [InlineData(1000, 1)]
    [InlineData(1001, 2)]
    [InlineData(60_000, 60)]
    public void Seconds_round_up(int milliseconds, long seconds) =>
        Assert.Equal(seconds, ClockRateLimiter.Seconds(TimeSpan.FromMilliseconds(milliseconds)));

    private static LimitLease Acquire(RateLimiter limiter) => (LimitLease)limiter.AttemptAcquire();
}
