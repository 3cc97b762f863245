using System.Collections.Concurrent;
using AiGuard.Audit;

namespace AiGuard.IntegrationTests.Gateway;

/// <summary>An audit sink that keeps every event in memory and lets a test wait for a given incident.</summary>
public sealed class RecordingAuditSink : IAuditSink
{
    private readonly ConcurrentQueue<AuditEvent> _events = new();
    private readonly ConcurrentDictionary<string, TaskCompletionSource<AuditEvent>> _waiters = new(StringComparer.Ordinal);

    public IReadOnlyCollection<AuditEvent> Events => _events;

    public ValueTask WriteAsync(AuditEvent auditEvent, CancellationToken cancellationToken)
    {
        _events.Enqueue(auditEvent);
        Waiter(auditEvent.IncidentId).TrySetResult(auditEvent);
        return ValueTask.CompletedTask;
    }

    public ValueTask FlushAsync(CancellationToken cancellationToken) => ValueTask.CompletedTask;

    /// <summary>Completes when the sink has received the event of <paramref name="incidentId"/>.</summary>
    public Task<AuditEvent> WaitForAsync(string incidentId) =>
        Waiter(incidentId).Task.WaitAsync(TimeSpan.FromSeconds(10));

    public int CountFor(string incidentId) => _events.Count(e => e.IncidentId == incidentId);

    private TaskCompletionSource<AuditEvent> Waiter(string incidentId) =>
        _waiters.GetOrAdd(incidentId, _ => new TaskCompletionSource<AuditEvent>(TaskCreationOptions.RunContinuationsAsynchronously));
}
