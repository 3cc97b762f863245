using AiGuard.Audit;
using AiGuard.Configuration;
using Microsoft.Extensions.Logging.Abstractions;

namespace AiGuard.Tests.Audit;

public class AuditTrailTests
{
    private static AuditEvent Event(int i) => new()
    {
        IncidentId = $"inc_{i}",
        Timestamp = DateTimeOffset.UnixEpoch,
        Decision = "refuse",
        Stage = "parse",
        Code = "malformed_json",
        Method = "POST",
        Path = "/",
    };

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
