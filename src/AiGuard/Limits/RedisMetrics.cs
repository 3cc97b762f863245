using System.Diagnostics;
using System.Diagnostics.Metrics;
using AiGuard.Telemetry;
using StackExchange.Redis;

namespace AiGuard.Limits;

/// <summary>
/// The shared store's instruments: how long each script run took and whether it answered, by
/// what it was for, and how many token-budget operations shared a run.
/// </summary>
/// <remarks>Redis is on the request path of every limit and budget it counts: its latency is the latency those requests wait, and its errors are what their fail modes decide on.</remarks>
public sealed class RedisMetrics
{
    public const string MeterName = "AiGuard.Redis";

    /// <summary>What a script run is for (the values of <c>aiguard.redis.operation</c>).</summary>
    public const string TokenBudget = "token_budget";
    public const string RateLimit = "rate_limit";
    public const string RateLimitBlock = "rate_limit_block";

    /// <summary>Bucket bounds of <c>aiguard.redis.duration</c> in seconds: a loopback round trip takes tens of microseconds, a timeout 250 ms.</summary>
    public static readonly double[] DurationBuckets = [0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1];

    private readonly Meter _meter;
    private readonly Histogram<double> _duration;
    private readonly Histogram<long> _batch;

    public RedisMetrics(IMeterFactory meterFactory)
    {
        var meter = _meter = meterFactory.Create(MeterName);
        _duration = meter.CreateHistogram<double>(
            "aiguard.redis.duration", "s", "Time a Redis script run took from sending to its answer, by operation and outcome (ok, error: failed or timed out).",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = DurationBuckets });
        _batch = meter.CreateHistogram<long>(
            "aiguard.token_budget.batch", "{operation}", "Token-budget reservations and settlements that shared one Redis script run.",
            advice: new InstrumentAdvice<long> { HistogramBucketBoundaries = [1, 2, 4, 8, 16, 32, 64] });
    }

    /// <summary>Whether anyone listens to the run durations (nothing is timed otherwise).</summary>
    public bool TimesRuns => _duration.Enabled;

    /// <summary>Times one script run sent at <paramref name="started"/> (<see cref="Stopwatch.GetTimestamp"/>); the outcome is recorded whether it answers or throws.</summary>
    public async Task<RedisResult> TimeAsync(string operation, long started, Task<RedisResult> run)
    {
        try
        {
            var result = await run;
            Record(operation, started, "ok");
            return result;
        }
        catch
        {
            Record(operation, started, "error");
            throw;
        }
    }

    /// <summary>Reports, per budget, the tokens this replica holds in blocks (<c>LeaseTokens</c>) and has not handed out.</summary>
    public void ObserveLeases(Func<IEnumerable<Measurement<long>>> observe) =>
        _meter.CreateObservableGauge(
            "aiguard.token_budget.leased", observe, "{token}",
            "Tokens of each token budget this replica holds in blocks (LeaseTokens) and has not handed out: what other replicas may be refused early by.");

    public void Batch(int operations)
    {
        if (_batch.Enabled)
        {
            _batch.Record(operations);
        }
    }

    private void Record(string operation, long started, string outcome)
    {
        if (_duration.Enabled)
        {
            _duration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new(TelemetryAttributes.RedisOperation, operation), new(TelemetryAttributes.Outcome, outcome));
        }
    }
}
