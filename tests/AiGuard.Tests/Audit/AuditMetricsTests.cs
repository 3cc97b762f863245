using AiGuard.Audit;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Abstractions;

namespace AiGuard.Tests.Audit;

/// <summary>The audit path's instruments as a metrics backend sees them (through a real meter listener).</summary>
public class AuditMetricsTests
{
    private static AuditEvent Event(int i) => TestEvents.Minimal(i);

    [Fact]
    public void Priming_exports_each_failure_counter_at_zero_before_any_failure()
    {
        var meters = TestGateway.NewMeters();
        using var dropped = new MetricCollector<long>(meters, AuditMetrics.MeterName, "aiguard.audit.dropped");
        using var failures = new MetricCollector<long>(meters, AuditMetrics.MeterName, "aiguard.audit.sink_failures");
        using var fallbacks = new MetricCollector<long>(meters, AuditMetrics.MeterName, "aiguard.audit.fallbacks");

        new AuditMetrics(meters).Prime();

        Assert.Equal(0, Assert.Single(dropped.GetMeasurementSnapshot()).Value);
        Assert.Equal(0, Assert.Single(failures.GetMeasurementSnapshot()).Value);
        Assert.Equal(0, Assert.Single(fallbacks.GetMeasurementSnapshot()).Value);
    }

    [Fact]
    public async Task The_queue_depth_gauge_reports_the_events_accepted_and_not_yet_written()
    {
        var meters = TestGateway.NewMeters();
        using var depth = new MetricCollector<long>(meters, AuditMetrics.MeterName, "aiguard.audit.queue_depth");
        var sink = new RecordingSink();
        var trail = new AuditTrail([sink], new AuditOptions { QueueCapacity = 10 }, new AuditMetrics(meters), NullLogger<AuditTrail>.Instance);

        Assert.Equal(("{event}", "Audit events accepted and waiting for the sinks."), (depth.Instrument!.Unit, depth.Instrument.Description));
        depth.RecordObservableInstruments();
        Assert.Equal(0, depth.LastMeasurement!.Value);

        for (var i = 0; i < 3; i++)
        {
            trail.Record(Event(i));
        }

        depth.RecordObservableInstruments();
        Assert.Equal(3, depth.LastMeasurement!.Value);

        await trail.StartAsync(CancellationToken.None);
        await trail.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        depth.RecordObservableInstruments();
        Assert.Equal(0, depth.LastMeasurement!.Value);
        Assert.Equal(3, sink.Events.Count);
    }
}
