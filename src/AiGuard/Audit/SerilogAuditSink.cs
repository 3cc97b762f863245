using Serilog;
using Serilog.Events;
using Serilog.Formatting.Json;

namespace AiGuard.Audit;

/// <summary>Writes audit events as structured Serilog events, rendered as JSON lines.</summary>
public sealed class SerilogAuditSink : IAuditSink, IDisposable
{
    private const string Template =
        "Security decision {Decision} at {Stage}: {Code} (status {Status}) for client {ClientId} on route {RouteId}, incident {IncidentId}";

    private readonly Serilog.Core.Logger _logger;

    public SerilogAuditSink(AuditOptions options)
        : this(CreateConfiguration(options))
    {
    }

    /// <summary>Used by tests to capture the JSON into a writer.</summary>
    public SerilogAuditSink(LoggerConfiguration configuration)
    {
        _logger = configuration.MinimumLevel.Information().CreateLogger();
    }

    public ValueTask WriteAsync(AuditEvent auditEvent, CancellationToken cancellationToken)
    {
        _logger
            .ForContext("EventType", "aiguard.audit")
            .ForContext("Timestamp", auditEvent.Timestamp.ToString("O", System.Globalization.CultureInfo.InvariantCulture))
            .ForContext("Tenant", auditEvent.Tenant)
            .ForContext("KeyId", auditEvent.KeyId)
            .ForContext("Model", auditEvent.Model)
            .ForContext("Method", auditEvent.Method)
            .ForContext("Path", auditEvent.Path)
            .ForContext("Field", auditEvent.Field)
            .ForContext("Detail", auditEvent.Detail)
            .ForContext("RemoteAddress", auditEvent.RemoteAddress)
            .ForContext("TraceId", auditEvent.TraceId)
            .Write(
                auditEvent.Decision == "refuse" ? LogEventLevel.Warning : LogEventLevel.Information,
                Template,
                auditEvent.Decision,
                auditEvent.Stage,
                auditEvent.Code,
                auditEvent.Status,
                auditEvent.ClientId,
                auditEvent.RouteId,
                auditEvent.IncidentId);
        return ValueTask.CompletedTask;
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public void Dispose() => _logger.Dispose();

    private static LoggerConfiguration CreateConfiguration(AuditOptions options)
    {
        var configuration = new LoggerConfiguration();
        if (options.Console)
        {
            configuration.WriteTo.Console(new JsonFormatter(renderMessage: true));
        }

        if (!string.IsNullOrWhiteSpace(options.FilePath))
        {
            configuration.WriteTo.File(new JsonFormatter(renderMessage: true), options.FilePath, rollingInterval: RollingInterval.Day, flushToDiskInterval: TimeSpan.FromSeconds(1));
        }

        return configuration;
    }
}
