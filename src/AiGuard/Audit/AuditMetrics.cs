using System.Diagnostics.Metrics;

namespace AiGuard.Audit;

/// <summary>Owns the audit trail's instruments.</summary>
public sealed class AuditMetrics
{
    public const string MeterName = "AiGuard.Audit";

    private readonly Counter<long> _written;
    private readonly Counter<long> _dropped;
    private readonly Counter<long> _sinkFailures;
    private readonly Counter<long> _fallbacks;
    private readonly Meter _meter;

    public AuditMetrics(IMeterFactory meterFactory)
    {
        var meter = _meter = meterFactory.Create(MeterName);
        _written = meter.CreateCounter<long>("aiguard.audit.events", "{event}", "Audit events handed to the sinks.");
        _dropped = meter.CreateCounter<long>("aiguard.audit.dropped", "{event}", "Audit events dropped because the queue was full.");
        _sinkFailures = meter.CreateCounter<long>("aiguard.audit.sink_failures", "{event}", "Audit events a sink failed to write.");
        _fallbacks = meter.CreateCounter<long>("aiguard.audit.fallbacks", "{fallback}", "Audit destinations replaced by standard output because they could not be written.");
    }

    public void Written() => _written.Add(1);

    /// <summary>
    /// Starts the failure counters at 0 so they are exported before the first failure: an alert on
    /// their rate then sees 0 rather than no series at all.
    /// </summary>
    public void Prime()
    {
        _dropped.Add(0);
        _sinkFailures.Add(0);
        _fallbacks.Add(0);
    }

    /// <summary>Publishes the queue's depth (events accepted and not yet written) as an observable gauge.</summary>
    internal void Observe(Func<long> queueDepth) =>
        _meter.CreateObservableGauge("aiguard.audit.queue_depth", queueDepth, "{event}", "Audit events accepted and waiting for the sinks.");

    public void Dropped() => _dropped.Add(1);

    public void SinkFailed() => _sinkFailures.Add(1);

    public void FellBack() => _fallbacks.Add(1);
}
