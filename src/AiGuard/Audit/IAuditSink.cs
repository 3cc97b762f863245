namespace AiGuard.Audit;

/// <summary>A destination for audit events (log file, console, database...).</summary>
/// <remarks>Sinks are called from one background writer, in order; they may batch.</remarks>
public interface IAuditSink
{
    ValueTask WriteAsync(AuditEvent auditEvent, CancellationToken cancellationToken);

    /// <summary>Makes buffered events durable; called when the queue runs dry and at shutdown.</summary>
    ValueTask FlushAsync(CancellationToken cancellationToken);
}
