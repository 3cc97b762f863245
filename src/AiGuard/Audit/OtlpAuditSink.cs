using System.Collections;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace AiGuard.Audit;

/// <summary>
/// Sends every audit event on as an OpenTelemetry log record (through the OpenTelemetry logging
/// provider, so it leaves with the other OTLP logs), with the event's fields as attributes.
/// </summary>
/// <remarks>
/// Registered only when OTLP export is on. It is a mirror for dashboards and alerting, not the
/// trail: the exporter batches and may drop under pressure, so the JSON/console/file sinks stay
/// the record of every decision. An audit event holds no key, credential, body or detected value
/// (only the entity's type, position and keyed hash in the detail), so neither does the record.
/// The category is <see cref="Category"/>; the Serilog provider is told to ignore it, so the
/// operational log does not repeat the audit trail.
/// </remarks>
public sealed class OtlpAuditSink : IAuditSink
{
    /// <summary>The logger category (and OTLP instrumentation scope) of the audit log records.</summary>
    public const string Category = "AiGuard.Audit.Events";

    /// <summary>The event id (name <c>aiguard.audit</c>) every audit log record carries.</summary>
    public static readonly EventId EventId = new(4100, "aiguard.audit");

    private const string Template =
        "Security decision {aiguard.decision} at {aiguard.stage}: {aiguard.code} (status {http.response.status_code}) on route {aiguard.route}, incident {aiguard.incident_id}";

    private readonly ILogger _logger;

    public OtlpAuditSink(ILoggerFactory loggers)
    {
        _logger = loggers.CreateLogger(Category);
    }

    public ValueTask WriteAsync(AuditEvent auditEvent, CancellationToken cancellationToken)
    {
        var level = auditEvent.Decision == "refuse" ? LogLevel.Warning : LogLevel.Information;
        if (_logger.IsEnabled(level))
        {
            _logger.Log(level, EventId, new Record(auditEvent), null, static (record, _) => record.Message);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>The log state: the event's non-empty fields under OpenTelemetry-style names, plus the message template.</summary>
    private sealed class Record : IReadOnlyList<KeyValuePair<string, object?>>
    {
        private readonly List<KeyValuePair<string, object?>> _fields = new(20);
        private readonly AuditEvent _event;

        public Record(AuditEvent e)
        {
            _event = e;
            Add("aiguard.incident_id", e.IncidentId);
            Add("aiguard.related_incident_id", e.RelatedIncidentId);
            Add("aiguard.decision", e.Decision);
            Add("aiguard.stage", e.Stage);
            Add("aiguard.code", e.Code);
            Add("http.response.status_code", e.Status);
            Add("aiguard.client_id", e.ClientId);
            Add("aiguard.key_id", e.KeyId);
            Add("aiguard.tenant", e.Tenant);
            Add("aiguard.route", e.RouteId);
            Add("aiguard.model", e.Model);
            Add("http.request.method", e.Method);
            Add("url.path", e.Path);
            Add("aiguard.field", e.Field);
            Add("aiguard.detail", e.Detail);
            Add("client.address", e.RemoteAddress);
            Add("aiguard.trace_id", e.TraceId);
            Add("aiguard.event_time", e.Timestamp.ToString("O", CultureInfo.InvariantCulture));
            Add("aiguard.anomaly.score", e.AnomalyScore);
            Add("aiguard.anomaly.model", e.AnomalyModel);
            Add("aiguard.anomaly.reasons", e.AnomalyReasons);
            _fields.Add(new("{OriginalFormat}", Template));
        }

        public string Message => string.Create(
            CultureInfo.InvariantCulture,
            $"Security decision {_event.Decision} at {_event.Stage}: {_event.Code} (status {_event.Status}) on route {_event.RouteId}, incident {_event.IncidentId}");

        public int Count => _fields.Count;

        public KeyValuePair<string, object?> this[int index] => _fields[index];

        public IEnumerator<KeyValuePair<string, object?>> GetEnumerator() => _fields.GetEnumerator();

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

        private void Add(string key, object? value)
        {
            if (value is not null)
            {
                _fields.Add(new(key, value));
            }
        }
    }
}
