using System.Text.Json;
using AiGuard.Audit;
using Serilog;
using Serilog.Formatting.Json;

namespace AiGuard.Tests.Audit;

public class SerilogAuditSinkTests
{
    [Fact]
    public async Task Audit_event_is_one_json_line_with_all_decision_fields()
    {
        var output = new StringWriter();
        using (var sink = new SerilogAuditSink(new LoggerConfiguration().WriteTo.Sink(new Serilog.Sinks.TextWriterSinkShim(output, new JsonFormatter()))))
        {
            await sink.WriteAsync(
                new AuditEvent
                {
                    IncidentId = "inc_1",
                    Timestamp = DateTimeOffset.UnixEpoch,
                    Decision = "refuse",
                    Stage = "authenticate",
                    Code = "revoked_api_key",
                    Status = 401,
                    ClientId = "alice",
                    KeyId = "key1",
                    RouteId = "openai-chat",
                    Method = "POST",
                    Path = "/v1/chat/completions",
                },
                CancellationToken.None);
        }

        var line = Assert.Single(output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries));
        using var json = JsonDocument.Parse(line);
        var properties = json.RootElement.GetProperty("Properties");
        Assert.Equal("Warning", json.RootElement.GetProperty("Level").GetString());
        Assert.Equal(DateTimeOffset.UnixEpoch, json.RootElement.GetProperty("Timestamp").GetDateTimeOffset());
        Assert.Equal("aiguard.audit", properties.GetProperty("EventType").GetString());
        Assert.Equal("inc_1", properties.GetProperty("IncidentId").GetString());
        Assert.Equal("revoked_api_key", properties.GetProperty("Code").GetString());
        Assert.Equal("alice", properties.GetProperty("ClientId").GetString());
        Assert.Equal("key1", properties.GetProperty("KeyId").GetString());
        Assert.Equal("openai-chat", properties.GetProperty("RouteId").GetString());
        Assert.Equal("authenticate", properties.GetProperty("Stage").GetString());
        Assert.Equal(401, properties.GetProperty("Status").GetInt32());
    }

    private static AuditEvent FullEvent(string decision = "refuse") => TestEvents.Full(decision);

    private static async Task<JsonElement> WriteOne(AuditEvent auditEvent)
    {
        var output = new StringWriter();
        using (var sink = new SerilogAuditSink(new LoggerConfiguration().WriteTo.Sink(new Serilog.Sinks.TextWriterSinkShim(output, new JsonFormatter()))))
        {
            await sink.WriteAsync(auditEvent, CancellationToken.None);
            await sink.FlushAsync(CancellationToken.None);
        }

        using var json = JsonDocument.Parse(Assert.Single(output.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries)));
        return json.RootElement.Clone();
    }

    [Fact]
    public async Task Every_field_of_the_event_reaches_the_json_line()
    {
        var properties = (await WriteOne(FullEvent())).GetProperty("Properties");

        Assert.Equal("acme", properties.GetProperty("Tenant").GetString());
        Assert.Equal("o1-secret", properties.GetProperty("Model").GetString());
        Assert.Equal("POST", properties.GetProperty("Method").GetString());
        Assert.Equal("/v1/chat/completions", properties.GetProperty("Path").GetString());
        Assert.Equal("model", properties.GetProperty("Field").GetString());
        Assert.Equal("This API key may not use the model 'o1-secret'.", properties.GetProperty("Detail").GetString());
        Assert.Equal("192.0.2.7", properties.GetProperty("RemoteAddress").GetString());
        Assert.Equal("0af7651916cd43dd8448eb211c80319c", properties.GetProperty("TraceId").GetString());
        Assert.Equal("refuse", properties.GetProperty("Decision").GetString());
    }

    [Fact]
    public async Task A_second_decision_about_a_request_names_the_first_and_a_first_names_none()
    {
        var second = (await WriteOne(FullEvent() with { RelatedIncidentId = "inc_before" })).GetProperty("Properties");
        var first = (await WriteOne(FullEvent())).GetProperty("Properties");

        Assert.Equal("inc_before", second.GetProperty("RelatedIncidentId").GetString());
        Assert.False(first.TryGetProperty("RelatedIncidentId", out _));
    }

    [Fact]
    public async Task An_anomaly_verdict_carries_its_score_model_and_reasons_and_other_events_do_not()
    {
        var anomaly = FullEvent("flag") with { AnomalyScore = 0.93, AnomalyModel = "0123456789ab", AnomalyReasons = "near_duplicate=0.9 (+0.40)" };

        var properties = (await WriteOne(anomaly)).GetProperty("Properties");
        var plain = (await WriteOne(FullEvent())).GetProperty("Properties");

        Assert.Equal(0.93, properties.GetProperty("AnomalyScore").GetDouble());
        Assert.Equal("0123456789ab", properties.GetProperty("AnomalyModel").GetString());
        Assert.Equal("near_duplicate=0.9 (+0.40)", properties.GetProperty("AnomalyReasons").GetString());
        Assert.False(plain.TryGetProperty("AnomalyScore", out _));
        Assert.False(plain.TryGetProperty("AnomalyModel", out _));
        Assert.False(plain.TryGetProperty("AnomalyReasons", out _));
    }

    [Fact]
    public async Task A_change_is_logged_at_information_level_and_a_refusal_at_warning()
    {
        Assert.Equal("Information", (await WriteOne(FullEvent("modify"))).GetProperty("Level").GetString());
        Assert.Equal("Warning", (await WriteOne(FullEvent("refuse"))).GetProperty("Level").GetString());
    }

    [Fact]
    public void By_default_audit_events_have_a_destination()
    {
        using var sink = new SerilogAuditSink(new AuditOptions());

        Assert.True(sink.HasDestination);
    }

    [Theory]
    [InlineData(false, null, false)]
    [InlineData(false, "", false)]
    [InlineData(true, null, true)]
    public void A_sink_has_a_destination_when_the_console_or_a_file_is_configured(bool console, string? file, bool expected)
    {
        using var sink = new SerilogAuditSink(new AuditOptions { Console = console, FilePath = file });

        Assert.Equal(expected, sink.HasDestination);
    }

    [Fact]
    public void A_sink_built_from_a_logger_configuration_is_a_destination()
    {
        using var sink = new SerilogAuditSink(new LoggerConfiguration());

        Assert.True(sink.HasDestination);
    }

    [Fact]
    public async Task With_a_usable_file_events_are_written_to_it_as_json_lines()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"aiguard-audit-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        try
        {
            var options = new AuditOptions { Console = false, FilePath = Path.Combine(directory, "audit.log") };
            using (var sink = new SerilogAuditSink(options))
            {
                Assert.True(sink.HasDestination);
                await sink.WriteAsync(FullEvent(), CancellationToken.None);
            }

            var file = Assert.Single(Directory.GetFiles(directory));
            Assert.Matches(@"audit\d{8}\.log$", file);
            using var json = JsonDocument.Parse(Assert.Single(File.ReadAllLines(file)));
            Assert.Equal("inc_2", json.RootElement.GetProperty("Properties").GetProperty("IncidentId").GetString());
            Assert.Contains("model_not_allowed", json.RootElement.GetProperty("RenderedMessage").GetString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public async Task An_unusable_file_is_not_written_to()
    {
        var directory = Path.Combine(Path.GetTempPath(), $"aiguard-audit-{Guid.NewGuid():N}");
        Directory.CreateDirectory(directory);
        try
        {
            var options = new AuditOptions { Console = false, FilePath = Path.Combine(directory, "audit.log") };
            using (var sink = new SerilogAuditSink(options, fileUsable: false))
            {
                await ConsoleCapture.RunAsync(() => sink.WriteAsync(FullEvent(), CancellationToken.None).AsTask());
            }

            Assert.Empty(Directory.GetFiles(directory));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
