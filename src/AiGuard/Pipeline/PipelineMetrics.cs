using System.Diagnostics;
using System.Diagnostics.Metrics;
using AiGuard.Telemetry;

namespace AiGuard.Pipeline;

/// <summary>
/// Owns the instruments of the decision path: one count per decision (by stage, action and code),
/// refusals by stage, code and status, and the time each stage takes.
/// </summary>
/// <remarks>
/// Instruments are created once; a measurement's tags live on the stack (no allocation per
/// request), and nothing is measured when nobody listens (<c>Enabled</c> is false).
/// </remarks>
public sealed class PipelineMetrics
{
    public const string MeterName = "AiGuard.Pipeline";

    /// <summary>Bucket bounds of <c>aiguard.stage.duration</c> in seconds: a stage takes microseconds to a few milliseconds (Redis, a JWKS fetch).</summary>
    public static readonly double[] StageDurationBuckets = [0.000005, 0.00001, 0.000025, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];

    private readonly Counter<long> _decisions;
    private readonly Counter<long> _refusals;
    private readonly Counter<long> _failOpen;
    private readonly Histogram<double> _stageDuration;

    public PipelineMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _decisions = meter.CreateCounter<long>("aiguard.decisions", "{decision}", "Refusals and changes decided by AiGuard's stages.");
        _refusals = meter.CreateCounter<long>("aiguard.refusals", "{request}", "Requests refused with a problem answer, by stage, code and HTTP status.");
        _failOpen = meter.CreateCounter<long>("aiguard.stage.fail_open", "{failure}", "Stages that failed and were passed because their route fails open.");
        _stageDuration = meter.CreateHistogram<double>(
            "aiguard.stage.duration", "s", "Time a stage took to decide on one request or one answer.",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = StageDurationBuckets });
        meter.CreateObservableCounter("aiguard.text_cache.lookups", TextCacheLookups, "{lookup}", "Lookups of long texts in the text guards' per-client caches, by guard and outcome (hit: answered from the cache; miss: inspected).");
    }

    /// <summary>What the text guards' caches (Inspection.Text.ClientTextCache) answered, over the process.</summary>
    private static IEnumerable<Measurement<long>> TextCacheLookups()
    {
        foreach (var counters in Inspection.Text.TextCacheCounters.All)
        {
            yield return new Measurement<long>(counters.Hits, new(TelemetryAttributes.Stage, counters.Guard), new(TelemetryAttributes.Outcome, "hit"));
            yield return new Measurement<long>(counters.Misses, new(TelemetryAttributes.Stage, counters.Guard), new(TelemetryAttributes.Outcome, "miss"));
        }
    }

    public void Decision(string stage, GuardAction action, string code)
    {
        if (!_decisions.Enabled)
        {
            return;
        }

        _decisions.Add(1, new(TelemetryAttributes.Stage, stage), new(TelemetryAttributes.Action, ActionName(action)), new(TelemetryAttributes.Code, code));
    }

    public void Refusal(string stage, string code, int status)
    {
        if (!_refusals.Enabled)
        {
            return;
        }

        _refusals.Add(1, new(TelemetryAttributes.Stage, stage), new(TelemetryAttributes.Code, code), new(TelemetryAttributes.HttpStatus, status));
    }

    /// <summary>Starts <c>aiguard.stage.fail_open</c> at 0 (one series without a stage) so alerts see 0 before the first fail-open.</summary>
    public void Prime() => _failOpen.Add(0);

    public void FailedOpen(string stage)
    {
        if (_failOpen.Enabled)
        {
            _failOpen.Add(1, new KeyValuePair<string, object?>(TelemetryAttributes.Stage, stage));
        }
    }

    /// <summary>
    /// Starts timing a stage and its span (when someone listens to either). Dispose the returned
    /// value (a struct: nothing is allocated) when the stage has decided.
    /// </summary>
    public StageTiming Time(string stage) =>
        new(this, stage, _stageDuration.Enabled ? Stopwatch.GetTimestamp() : 0, GuardTelemetry.StartStage(stage));

    internal void Elapsed(string stage, long started)
    {
        if (started != 0)
        {
            _stageDuration.Record(Stopwatch.GetElapsedTime(started).TotalSeconds, new KeyValuePair<string, object?>(TelemetryAttributes.Stage, stage));
        }
    }

    internal static string ActionName(GuardAction action) => action switch
    {
        GuardAction.Refuse => "refuse",
        GuardAction.Flag => "flag",
        _ => "modify",
    };
}

/// <summary>The timing and span of one stage's decision; records <c>aiguard.stage.duration</c> and ends the span on dispose.</summary>
public readonly struct StageTiming : IDisposable
{
    private readonly PipelineMetrics? _metrics;
    private readonly string _stage;
    private readonly long _started;

    internal StageTiming(PipelineMetrics metrics, string stage, long started, Activity? span)
    {
        _metrics = metrics;
        _stage = stage;
        _started = started;
        Span = span;
    }

    /// <summary>The stage's span, when traces are collected.</summary>
    public Activity? Span { get; }

    public void Dispose()
    {
        _metrics?.Elapsed(_stage, _started);
        Span?.Dispose();
    }
}
