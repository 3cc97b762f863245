using System.Collections.Concurrent;

namespace AiGuard.Anomaly;

/// <summary>Clients refused on every route until an expiry: put there by the anomaly engine or by an operator through the admin API.</summary>
public sealed class QuarantineList
{
    private readonly ConcurrentDictionary<string, Entry> _entries = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;

    public QuarantineList(TimeProvider time) => _time = time;

    public bool IsEmpty => _entries.IsEmpty;

    public int Count => _entries.Count;

    /// <summary>Raised for every quarantine added here (not for those learnt from other replicas).</summary>
    public event Action<string, DateTimeOffset, string>? Added;

    /// <summary>
    /// Quarantines <paramref name="client"/> until <paramref name="until"/> (a later expiry already
    /// in force wins) and tells the other replicas what is in force; returns that entry.
    /// </summary>
    public (DateTimeOffset Until, string Reason) Add(string client, DateTimeOffset until, string reason)
    {
        var inForce = AddLocal(client, until, reason);
        Added?.Invoke(client, inForce.Until, inForce.Reason);
        return inForce;
    }

    /// <summary>Quarantines <paramref name="client"/> on this replica only (what another replica decided); returns the entry in force.</summary>
    public (DateTimeOffset Until, string Reason) AddLocal(string client, DateTimeOffset until, string reason)
    {
        if (until <= _time.GetUtcNow())
        {
            return (until, reason);
        }

        var entry = _entries.AddOrUpdate(client, new Entry(until, reason), (_, old) => old.Until >= until ? old : new Entry(until, reason));
        return (entry.Until, entry.Reason);
    }

    /// <summary>Raised for every quarantine lifted here (not for those lifted on other replicas).</summary>
    public event Action<string>? Removed;

    /// <summary>Lifts the quarantine of <paramref name="client"/> and tells the other replicas; false when it held none.</summary>
    public bool Remove(string client)
    {
        var removed = RemoveLocal(client);
        Removed?.Invoke(client);
        return removed;
    }

    /// <summary>Lifts the quarantine of <paramref name="client"/> on this replica only (what another replica decided).</summary>
    public bool RemoveLocal(string client) => _entries.TryRemove(client, out _);

    /// <summary>The entry of <paramref name="client"/> in force now, if any.</summary>
    public bool TryGet(string client, out DateTimeOffset until, out string reason)
    {
        reason = string.Empty;
        if (!IsQuarantined(client, out until) || !_entries.TryGetValue(client, out var entry))
        {
            return false;
        }

        reason = entry.Reason;
        return true;
    }

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
