using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AiGuard.Audit;

/// <summary>Takes audit events from requests without blocking them and hands them to the sinks in order.</summary>
/// <remarks>
/// A bounded queue sits between requests and sinks. When it is full the event is dropped and
/// counted (<c>aiguard.audit.dropped</c>), because stalling every request behind a slow sink
/// would turn an audit outage into a full outage.
/// </remarks>
public sealed partial class AuditTrail : BackgroundService
{
    private readonly Channel<AuditEvent> _queue;
    private readonly IAuditSink[] _sinks;
    private readonly AuditMetrics _metrics;
    private readonly ILogger<AuditTrail> _logger;
    private long _dropped;
    private long _accepted;

    public AuditTrail(IEnumerable<IAuditSink> sinks, IOptions<AuditOptions> options, AuditMetrics metrics, ILogger<AuditTrail> logger)
    {
        _sinks = sinks.ToArray();
        _metrics = metrics;
        _logger = logger;
        _queue = Channel.CreateBounded<AuditEvent>(new BoundedChannelOptions(Math.Max(1, options.Value.QueueCapacity))
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>Events dropped since start because the queue was full.</summary>
    public long DroppedCount => Interlocked.Read(ref _dropped);

    /// <summary>Events accepted since start.</summary>
    public long AcceptedCount => Interlocked.Read(ref _accepted);

    /// <summary>Queues an event; never blocks. Returns false (and counts) when it had to be dropped.</summary>
    public bool Record(AuditEvent auditEvent)
    {
        if (_queue.Writer.TryWrite(auditEvent))
        {
            Interlocked.Increment(ref _accepted);
            return true;
        }

        Interlocked.Increment(ref _dropped);
        _metrics.Dropped();
        LogDropped(_logger, auditEvent.IncidentId, auditEvent.Code);
        return false;
    }

    // The drain loop ignores the stopping token on purpose: it ends when StopAsync completes the
    // queue and the last event is written, bounded by the host's shutdown timeout.
    protected override Task ExecuteAsync(CancellationToken stoppingToken) => DrainAsync(CancellationToken.None);

    public override Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        return base.StopAsync(cancellationToken);
    }

    private async Task DrainAsync(CancellationToken cancellationToken)
    {
        var reader = _queue.Reader;
        while (await reader.WaitToReadAsync(cancellationToken))
        {
            while (reader.TryRead(out var auditEvent))
            {
                await WriteToSinksAsync(auditEvent, cancellationToken);
            }

            foreach (var sink in _sinks)
            {
                await sink.FlushAsync(cancellationToken);
            }
        }
    }

    private async Task WriteToSinksAsync(AuditEvent auditEvent, CancellationToken cancellationToken)
    {
        foreach (var sink in _sinks)
        {
            try
            {
                await sink.WriteAsync(auditEvent, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                _metrics.SinkFailed();
                LogSinkFailed(_logger, ex, sink.GetType().Name, auditEvent.IncidentId);
            }
        }

        _metrics.Written();
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "Audit queue full: dropped event {IncidentId} ({Code})")]
    private static partial void LogDropped(ILogger logger, string incidentId, string code);

    [LoggerMessage(Level = LogLevel.Error, Message = "Audit sink {Sink} failed to write event {IncidentId}")]
    private static partial void LogSinkFailed(ILogger logger, Exception exception, string sink, string incidentId);
}
