using AiGuard.Audit;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Logs;

namespace AiGuard.Tests.Audit;

/// <summary>
/// What the OTLP audit mirror hands to the OpenTelemetry log pipeline: the record a dashboard or
/// an alert reads (severity, event name, body and the attributes), taken from the real SDK logger
/// provider with the in-memory exporter in place of the OTLP one.
/// </summary>
public class OtlpAuditSinkTests
{
    private const string Template =
        "Security decision {aiguard.decision} at {aiguard.stage}: {aiguard.code} (status {http.response.status_code}) on route {aiguard.route}, incident {aiguard.incident_id}";

    private static readonly DateTimeOffset At = new DateTimeOffset(2026, 11, 26, 9, 30, 15, TimeSpan.FromHours(2)).AddTicks(1234567);

    private const string AtText = "2026-11-26T09:30:15.1234567+02:00";

    private static async Task<LogRecord> ExportOne(AuditEvent auditEvent)
    {
        var exported = new List<LogRecord>();
        using (var loggers = LoggerFactory.Create(logging => logging
            .AddOpenTelemetry(otel => otel.AddInMemoryExporter(exported))
            // As the gateway registers it: audit records reach the OpenTelemetry provider at every level.
            .AddFilter<OpenTelemetryLoggerProvider>(OtlpAuditSink.Category, LogLevel.Information)))
        {
            var sink = new OtlpAuditSink(loggers);
            await sink.WriteAsync(auditEvent, CancellationToken.None);
            await sink.FlushAsync(CancellationToken.None);
        }

        return Assert.Single(exported);
    }

    private static Dictionary<string, object?> Attributes(LogRecord record) =>
        record.Attributes!.ToDictionary(kv => kv.Key, kv => kv.Value);

    [Fact]
    public async Task A_refusal_leaves_as_a_warning_record_with_every_field_of_the_event_as_an_attribute()
    {
        var record = await ExportOne(TestEvents.Full() with { IncidentId = "inc_7", RelatedIncidentId = "inc_6", Timestamp = At });

        Assert.Equal(LogLevel.Warning, record.LogLevel);
        Assert.Equal(OtlpAuditSink.Category, record.CategoryName);
        Assert.Equal(new EventId(4100, "aiguard.audit"), record.EventId);
        Assert.Equal(Template, record.Body);
        Assert.Equal(
            new Dictionary<string, object?>
            {
                ["aiguard.incident_id"] = "inc_7",
                ["aiguard.related_incident_id"] = "inc_6",
                ["aiguard.decision"] = "refuse",
                ["aiguard.stage"] = "authorize",
                ["aiguard.code"] = "model_not_allowed",
                ["http.response.status_code"] = 403,
                ["aiguard.client_id"] = "alice",
                ["aiguard.key_id"] = "key1",
                ["aiguard.tenant"] = "acme",
                ["aiguard.route"] = "openai-chat",
                ["aiguard.model"] = "o1-secret",
                ["http.request.method"] = "POST",
                ["url.path"] = "/v1/chat/completions",
                ["aiguard.field"] = "model",
                ["aiguard.detail"] = "This API key may not use the model 'o1-secret'.",
                ["client.address"] = "192.0.2.7",
                ["aiguard.trace_id"] = "0af7651916cd43dd8448eb211c80319c",
                ["aiguard.event_time"] = AtText,
                ["{OriginalFormat}"] = Template,
            },
            Attributes(record));
    }

    [Fact]
    public async Task An_anomaly_flag_leaves_as_an_information_record_with_its_score_model_and_reasons()
    {
        var record = await ExportOne(new AuditEvent
        {
            IncidentId = "inc_8",
            Timestamp = At,
            Decision = "flag",
            Stage = "anomaly",
            Code = "anomaly_flagged",
            ClientId = "bob",
            RouteId = "chat",
            Method = "POST",
            Path = "/v1/embeddings",
            Detail = "score 0.93",
            AnomalyScore = 0.93,
            AnomalyModel = "0123456789ab",
            AnomalyReasons = "near_duplicate=0.9 (+0.40)",
        });

        Assert.Equal(LogLevel.Information, record.LogLevel);
        Assert.Equal(
            new Dictionary<string, object?>
            {
                ["aiguard.incident_id"] = "inc_8",
                ["aiguard.decision"] = "flag",
                ["aiguard.stage"] = "anomaly",
                ["aiguard.code"] = "anomaly_flagged",
                ["http.response.status_code"] = 0,
                ["aiguard.client_id"] = "bob",
                ["aiguard.route"] = "chat",
                ["http.request.method"] = "POST",
                ["url.path"] = "/v1/embeddings",
                ["aiguard.detail"] = "score 0.93",
                ["aiguard.event_time"] = AtText,
                ["aiguard.anomaly.score"] = 0.93,
                ["aiguard.anomaly.model"] = "0123456789ab",
                ["aiguard.anomaly.reasons"] = "near_duplicate=0.9 (+0.40)",
                ["{OriginalFormat}"] = Template,
            },
            Attributes(record));
    }

    [Fact]
    public async Task A_change_with_no_optional_field_carries_only_the_fields_every_event_has()
    {
        var record = await ExportOne(new AuditEvent
        {
            IncidentId = "inc_9",
            Timestamp = DateTimeOffset.UnixEpoch,
            Decision = "modify",
            Stage = "sensitive_data",
            Code = "sensitive_data_redacted",
            Method = "GET",
            Path = "/",
        });

        Assert.Equal(LogLevel.Information, record.LogLevel);
        Assert.Equal(Template, record.Body);
        Assert.Equal(
            new Dictionary<string, object?>
            {
                ["aiguard.incident_id"] = "inc_9",
                ["aiguard.decision"] = "modify",
                ["aiguard.stage"] = "sensitive_data",
                ["aiguard.code"] = "sensitive_data_redacted",
                ["http.response.status_code"] = 0,
                ["http.request.method"] = "GET",
                ["url.path"] = "/",
                ["aiguard.event_time"] = "1970-01-01T00:00:00.0000000+00:00",
                ["{OriginalFormat}"] = Template,
            },
            Attributes(record));
    }

    [Fact]
    public async Task A_provider_that_takes_only_warnings_gets_the_refusals_and_not_the_changes()
    {
        var exported = new List<LogRecord>();
        using (var loggers = LoggerFactory.Create(logging => logging
            .AddOpenTelemetry(otel => otel.AddInMemoryExporter(exported))
            .AddFilter<OpenTelemetryLoggerProvider>(OtlpAuditSink.Category, LogLevel.Warning)))
        {
            var sink = new OtlpAuditSink(loggers);
            foreach (var (incident, decision) in new[] { ("inc_1", "modify"), ("inc_2", "refuse"), ("inc_3", "flag") })
            {
                await sink.WriteAsync(
                    new AuditEvent { IncidentId = incident, Timestamp = At, Decision = decision, Stage = "parse", Code = "c", Method = "POST", Path = "/" },
                    CancellationToken.None);
            }
        }

        var record = Assert.Single(exported);
        Assert.Equal("inc_2", Attributes(record)["aiguard.incident_id"]);
    }
}
