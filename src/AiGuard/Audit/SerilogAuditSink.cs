using Serilog;
using Serilog.Events;
using Serilog.Formatting.Json;

namespace AiGuard.Audit;

/// <summary>Writes audit events as structured Serilog events: JSON lines (console and file) or one short human line (console).</summary>
public sealed class SerilogAuditSink : IAuditSink, IDisposable
{
    private const string Template =
        "Security decision {Decision} at {Stage}: {Code} (status {Status}) for client {ClientId} on route {RouteId}, incident {IncidentId}";

    private const string TextTemplate =
        "{Timestamp:HH:mm:ss} AiGuard {Decision} {Status} {Code} at {Stage}: {Method} {Path} client={ClientId} incident={IncidentId}{NewLine}";

    private static readonly Serilog.Events.MessageTemplate ParsedTemplate = new Serilog.Parsing.MessageTemplateParser().Parse(Template);

    private readonly Serilog.Core.Logger _logger;

    /// <summary>Writes to the destinations the options name; <see cref="AuditDestinations.CheckFile"/> has vetted the file.</summary>
    /// <param name="fileUsable">False when the file could not be written and events go to standard output instead.</param>
    public SerilogAuditSink(AuditOptions options, bool fileUsable = true)
        : this(CreateConfiguration(options, fileUsable))
    {
        HasDestination = options.Console || !string.IsNullOrWhiteSpace(options.FilePath);
    }

    /// <summary>Used by tests to capture the output into a writer.</summary>
    public SerilogAuditSink(LoggerConfiguration configuration)
    {
        _logger = configuration.MinimumLevel.Information().CreateLogger();
        HasDestination = true;
    }

    /// <summary>False when the options name neither the console nor a file: the events would go nowhere.</summary>
    public bool HasDestination { get; }

    public ValueTask WriteAsync(AuditEvent auditEvent, CancellationToken cancellationToken)
    {
        var logger = auditEvent.AnomalyScore is { } score
            ? _logger.ForContext("AnomalyScore", score).ForContext("AnomalyModel", auditEvent.AnomalyModel).ForContext("AnomalyReasons", auditEvent.AnomalyReasons)
            : _logger;
        logger = auditEvent.RelatedIncidentId is { } related ? logger.ForContext("RelatedIncidentId", related) : logger;
        logger
            .ForContext("EventType", "aiguard.audit")
            .ForContext("Tenant", auditEvent.Tenant)
            .ForContext("KeyId", auditEvent.KeyId)
            .ForContext("Model", auditEvent.Model)
            .ForContext("Method", auditEvent.Method)
            .ForContext("Path", auditEvent.Path)
            .ForContext("Field", auditEvent.Field)
            .ForContext("Detail", auditEvent.Detail)
            .ForContext("RemoteAddress", auditEvent.RemoteAddress)
            .ForContext("TraceId", auditEvent.TraceId)
            .Write(new LogEvent(
                auditEvent.Timestamp,
                auditEvent.Decision == "refuse" ? LogEventLevel.Warning : LogEventLevel.Information,
                exception: null,
                ParsedTemplate,
                [
                    new LogEventProperty("Decision", new ScalarValue(auditEvent.Decision)),
                    new LogEventProperty("Stage", new ScalarValue(auditEvent.Stage)),
                    new LogEventProperty("Code", new ScalarValue(auditEvent.Code)),
                    new LogEventProperty("Status", new ScalarValue(auditEvent.Status)),
                    new LogEventProperty("ClientId", new ScalarValue(auditEvent.ClientId)),
                    new LogEventProperty("RouteId", new ScalarValue(auditEvent.RouteId)),
                    new LogEventProperty("IncidentId", new ScalarValue(auditEvent.IncidentId)),
                ]));
        return ValueTask.CompletedTask;
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    public void Dispose() => _logger.Dispose();

    private static LoggerConfiguration CreateConfiguration(AuditOptions options, bool fileUsable)
    {
        var configuration = new LoggerConfiguration();
        var console = options.Console || !fileUsable;
        if (console && options.ConsoleFormat == AuditConsoleFormats.Text)
        {
            configuration.WriteTo.Console(outputTemplate: TextTemplate, formatProvider: System.Globalization.CultureInfo.InvariantCulture);
        }
        else if (console)
        {
            configuration.WriteTo.Console(new JsonFormatter(renderMessage: true));
        }

        if (fileUsable && !string.IsNullOrWhiteSpace(options.FilePath))
        {
            configuration.WriteTo.File(new JsonFormatter(renderMessage: true), options.FilePath, rollingInterval: RollingInterval.Day, flushToDiskInterval: TimeSpan.FromSeconds(1));
        }

        return configuration;
    }
}
