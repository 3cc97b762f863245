using System.Collections.Concurrent;

namespace AiGuard.Anomaly;

/// <summary>Clients refused on every route until an expiry: put there by the anomaly engine (and, later, by an operator).</summary>
public sealed class QuarantineList
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    public QuarantineList(TimeProvider time) => _time = time;

    public bool IsEmpty => _entries.IsEmpty;

    public int Count => _entries.Count;

    /// <summary>Raised for every quarantine added here (not for those learnt from other replicas).</summary>
    public event Action<string, DateTimeOffset, string>? Added;

    /// <summary>Quarantines <paramref name="client"/> until <paramref name="until"/> (a later expiry wins) and tells the other replicas.</summary>
    public void Add(string client, DateTimeOffset until, string reason)
    {
        AddLocal(client, until, reason);
        Added?.Invoke(client, until, reason);
    }

    /// <summary>Quarantines <paramref name="client"/> on this replica only (what another replica decided).</summary>
    public void AddLocal(string client, DateTimeOffset until, string reason)
    {
        if (until > _time.GetUtcNow())
        {
            _entries.AddOrUpdate(client, new Entry(until, reason), (_, old) => old.Until >= until ? old : new Entry(until, reason));
        }
    }

    public bool Remove(string client) => _entries.TryRemove(client, out _);

    /// <summary>Whether <paramref name="client"/> is quarantined now; an expired entry is dropped.</summary>
    public bool IsQuarantined(string client, out DateTimeOffset until)
    {
        until = default;
        if (_entries.IsEmpty || !_entries.TryGetValue(client, out var entry))
        {
            return false;
        }

        if (entry.Until <= _time.GetUtcNow())
        {
            _entries.TryRemove(new KeyValuePair<string, Entry>(client, entry));
            return false;
        }

        until = entry.Until;
        return true;
    }

    /// <summary>The entries in force now.</summary>
    public IReadOnlyList<(string Client, DateTimeOffset Until, string Reason)> List()
    {
        var now = _time.GetUtcNow();
        return [.. _entries.Where(e => e.Value.Until > now).Select(e => (e.Key, e.Value.Until, e.Value.Reason)).OrderBy(e => e.Key, StringComparer.Ordinal)];
    }

    private sealed record Entry(DateTimeOffset Until, string Reason);
}
