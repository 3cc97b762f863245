using AiGuard.Audit;
using AiGuard.Configuration;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Logging.Testing;

namespace AiGuard.Tests.Audit;

public class AuditTrailTests
{
    private static AuditEvent Event(int i) => TestEvents.Minimal(i);

    private static AuditTrail Trail(params IAuditSink[] sinks) =>
        new(sinks, new AuditOptions { QueueCapacity = 1000 }, new AuditMetrics(TestGateway.Meters), NullLogger<AuditTrail>.Instance);

    [Fact]
    public async Task Every_event_queued_before_shutdown_is_written_when_the_trail_stops()
    {
        var sink = new RecordingSink();
        var trail = Trail(sink);
        for (var i = 0; i < 500; i++)
        {
            Assert.True(trail.Record(Event(i)));
        }

        await trail.StartAsync(CancellationToken.None);
        // Stopping completes the queue and waits for the drain; it must not hang until the host gives up.
        await trail.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(Enumerable.Range(0, 500).Select(i => $"inc_{i}"), sink.Events.Select(e => e.IncidentId));
    }

    [Fact]
    public async Task A_failing_sink_is_counted_and_neither_stops_the_trail_nor_the_other_sinks()
    {
        var failing = new FailingSink();
        var recording = new RecordingSink();
        var trail = Trail(failing, recording);
        await trail.StartAsync(CancellationToken.None);

        for (var i = 0; i < 20; i++)
        {
            trail.Record(Event(i));
        }

        await trail.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(20, failing.Attempts);
        Assert.Equal(20, recording.Events.Count);
    }

    [Fact]
    public void A_trail_with_no_destination_refuses_to_start()
    {
        var nowhere = new SerilogAuditSink(new AuditOptions { Console = false, FilePath = string.Empty });

        var error = Assert.Throws<GatewayConfigurationException>(() => Trail(nowhere));

        Assert.Contains("AiGuard:Audit has no destination", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_unwritable_audit_file_stops_the_start_unless_falling_back_to_the_console_is_allowed()
    {
        var blocker = Path.Combine(Path.GetTempPath(), $"aiguard-not-a-dir-{Guid.NewGuid():N}");
        File.WriteAllText(blocker, "a file where a directory should be");
        try
        {
            var path = Path.Combine(blocker, "audit.log");

            var error = Assert.Throws<GatewayConfigurationException>(() => AuditDestinations.CheckFile(new AuditOptions { FilePath = path }, out _));
            Assert.Contains($"AiGuard:Audit:FilePath '{path}' cannot be written", error.Message, StringComparison.Ordinal);
            Assert.Contains("FallbackToConsole", error.Message, StringComparison.Ordinal);

            Assert.False(AuditDestinations.CheckFile(new AuditOptions { FilePath = path, FallbackToConsole = true }, out var problem));
            Assert.Contains("cannot be written", problem, StringComparison.Ordinal);
        }
        finally
        {
            File.Delete(blocker);
        }
    }

    [Fact]
    public async Task Written_events_are_counted_once_each_whatever_the_number_of_sinks()
    {
        var meters = TestGateway.NewMeters();
        using var written = new MetricCollector<long>(meters, AuditMetrics.MeterName, "aiguard.audit.events");
        var trail = new AuditTrail([new RecordingSink(), new RecordingSink()], new AuditOptions(), new AuditMetrics(meters), NullLogger<AuditTrail>.Instance);
        trail.Record(Event(1));
        trail.Record(Event(2));

        await trail.StartAsync(CancellationToken.None);
        await trail.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(2, written.GetMeasurementSnapshot().EvaluateAsCounter());
    }

    [Fact]
    public async Task A_failing_sink_is_counted_and_logged_with_the_incident_id()
    {
        var meters = TestGateway.NewMeters();
        using var failures = new MetricCollector<long>(meters, AuditMetrics.MeterName, "aiguard.audit.sink_failures");
        var log = new FakeLogger<AuditTrail>();
        var trail = new AuditTrail([new FailingSink()], new AuditOptions(), new AuditMetrics(meters), log);
        trail.Record(Event(7));

        await trail.StartAsync(CancellationToken.None);
        await trail.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.Equal(1, failures.GetMeasurementSnapshot().EvaluateAsCounter());
        var record = log.LatestRecord;
        Assert.Equal(LogLevel.Error, record.Level);
        Assert.Equal("Audit sink FailingSink failed to write event inc_7", record.Message);
        Assert.IsType<IOException>(record.Exception);
    }

    [Fact]
    public void An_event_that_does_not_fit_the_queue_is_refused_counted_and_logged()
    {
        var meters = TestGateway.NewMeters();
        using var dropped = new MetricCollector<long>(meters, AuditMetrics.MeterName, "aiguard.audit.dropped");
        var log = new FakeLogger<AuditTrail>();
        var trail = new AuditTrail([new RecordingSink()], new AuditOptions { QueueCapacity = 1 }, new AuditMetrics(meters), log);

        Assert.True(trail.Record(Event(1)));
        Assert.False(trail.Record(Event(2)));

        Assert.Equal(1, dropped.GetMeasurementSnapshot().EvaluateAsCounter());
        var record = log.LatestRecord;
        Assert.Equal(LogLevel.Error, record.Level);
        Assert.Equal("Audit queue full: dropped event inc_2 (malformed_json)", record.Message);
    }

    [Fact]
    public async Task Sinks_are_flushed_when_the_queue_runs_dry()
    {
        var sink = new FlushCountingSink();
        var trail = Trail(sink);
        trail.Record(Event(1));

        await trail.StartAsync(CancellationToken.None);
        await trail.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));

        Assert.True(sink.Flushes >= 1);
        Assert.Equal(1, sink.WrittenBeforeLastFlush);
    }

    [Fact]
    public void A_trail_with_one_destination_starts_even_if_another_sink_has_none()
    {
        var nowhere = new SerilogAuditSink(new AuditOptions { Console = false, FilePath = null });

        var trail = Trail(nowhere, new RecordingSink());

        Assert.True(trail.Record(Event(1)));
    }

    [Fact]
    public async Task Starting_twice_keeps_one_writer_so_stopping_still_waits_for_the_event_being_written()
    {
        var sink = new GatedSink();
        var trail = Trail(sink);
        trail.Record(Event(1));
        await trail.StartAsync(CancellationToken.None);
        await sink.Entered.Task.WaitAsync(TimeSpan.FromSeconds(10));

        await trail.StartAsync(CancellationToken.None);
        var stop = trail.StopAsync(CancellationToken.None);

        // The first event is still in the sink: stopping must not report the trail written.
        Assert.NotSame(stop, await Task.WhenAny(stop, Task.Delay(TimeSpan.FromMilliseconds(200))));
        sink.Gate.SetResult();
        await stop.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(["inc_1"], sink.Written);
    }

    private sealed class GatedSink : IAuditSink
    {
        public TaskCompletionSource Entered { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Gate { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public List<string> Written { get; } = [];

        public async ValueTask WriteAsync(AuditEvent auditEvent, CancellationToken cancellationToken)
        {
            Entered.TrySetResult();
            await Gate.Task;
            Written.Add(auditEvent.IncidentId);
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }

    private sealed class FlushCountingSink : IAuditSink
    {
        private int _written;

        public int Flushes { get; private set; }

        public int WrittenBeforeLastFlush { get; private set; }

        public ValueTask WriteAsync(AuditEvent auditEvent, CancellationToken cancellationToken)
        {
            _written++;
            return ValueTask.CompletedTask;
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken)
        {
            Flushes++;
            WrittenBeforeLastFlush = _written;
            return ValueTask.CompletedTask;
        }
    }

    private sealed class FailingSink : IAuditSink
    {
        public int Attempts { get; private set; }

        public ValueTask WriteAsync(AuditEvent auditEvent, CancellationToken cancellationToken)
        {
            Attempts++;
            throw new IOException("disk full");
        }

        public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;
    }
}
