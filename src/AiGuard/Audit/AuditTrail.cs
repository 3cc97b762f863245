using System.Threading.Channels;
using AiGuard.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AiGuard.Audit;

/// <summary>Takes audit events from requests without blocking them and hands them to the sinks in order.</summary>
/// <remarks>
/// A bounded queue sits between requests and sinks. When it is full the event is dropped and
/// counted (<c>aiguard.audit.dropped</c>), because stalling every request behind a slow sink
/// would turn an audit outage into a full outage.
/// </remarks>
public sealed partial class AuditTrail : IHostedService
{
    private readonly Channel<AuditEvent> _queue;
    private readonly IAuditSink[] _sinks;
    private readonly AuditMetrics _metrics;
    private readonly ILogger<AuditTrail> _logger;
    private long _dropped;
    private long _accepted;
    private Task? _drain;

    public AuditTrail(IEnumerable<IAuditSink> sinks, AuditOptions options, AuditMetrics metrics, ILogger<AuditTrail> logger)
    {
        _sinks = sinks.ToArray();
        // The OTLP copy is a mirror for dashboards (batched, lossy by design), never the trail itself.
        if (!_sinks.Any(s => s is not (SerilogAuditSink { HasDestination: false } or OtlpAuditSink)))
        {
            throw new GatewayConfigurationException(
                "AiGuard:Audit has no destination: Console is false and FilePath is empty, so every audit event would be lost. Set AiGuard:Audit:Console=true or AiGuard:Audit:FilePath.");
        }

        _metrics = metrics;
        _logger = logger;
        _queue = Channel.CreateBounded<AuditEvent>(new BoundedChannelOptions(Math.Max(1, options.QueueCapacity))
        {
            SingleReader = true,
            SingleWriter = false,
            FullMode = BoundedChannelFullMode.Wait,
        });
        metrics.Observe(() => _queue.Reader.Count);
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

    /// <summary>Starts the writer. It always runs, however soon the host stops again.</summary>
    public Task StartAsync(CancellationToken cancellationToken)
    {
        _drain ??= Task.Run(() => DrainAsync(CancellationToken.None), CancellationToken.None);
        return Task.CompletedTask;
    }

    /// <summary>
    /// Completes the queue and waits until the writer has written the last event, bounded by
    /// the host's shutdown timeout: the drain ignores the stopping token on purpose, so no event
    /// accepted before shutdown is lost to an early cancellation.
    /// </summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _queue.Writer.TryComplete();
        if (_drain is not null)
        {
            await _drain.WaitAsync(cancellationToken);
        }
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
