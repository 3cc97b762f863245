using System.Collections.Concurrent;
using AiGuard.Protocols;

namespace AiGuard.Anomaly;

/// <summary>A request or an answer waiting to join a client's behaviour.</summary>
internal readonly record struct PendingObservation(InferenceRequest? Request, double Seconds, double[]? Answer, int Classes);

/// <summary>One client the engine watches: its behaviour, its last score and the action it holds.</summary>
/// <remarks>
/// Concurrent requests of one client never wait for each other: a request that finds the
/// behaviour busy queues what it saw (<see cref="Pending"/>, created on the first such clash, so a
/// client that never sends concurrently carries no queue), and whichever finds the behaviour free
/// applies everything queued, in order (flat combining). The score, action and throttle state change under <see cref="Gate"/>,
/// held for a few hundred nanoseconds.
/// </remarks>
public sealed class TrackedClient
{
    internal TrackedClient(string key, long now)
    {
        Key = key;
        LastSeen = now;
    }

    public string Key { get; }

    public ClientBehaviour Behaviour { get; private set; } = new();

    /// <summary>Held while the behaviour takes queued observations (never waited on by requests).</summary>
    internal Lock Drain { get; } = new();

    /// <summary>Held while the score, action and throttle state change.</summary>
    internal Lock Gate { get; } = new();

    private ConcurrentQueue<PendingObservation>? _pending;

    /// <summary>What concurrent requests queued; null until a request first found the behaviour busy.</summary>
    internal ConcurrentQueue<PendingObservation>? Pending => Volatile.Read(ref _pending);

    internal ConcurrentQueue<PendingObservation> PendingQueue()
    {
        var queue = Volatile.Read(ref _pending);
        if (queue is null)
        {
            Interlocked.CompareExchange(ref _pending, new ConcurrentQueue<PendingObservation>(), null);
            queue = Volatile.Read(ref _pending)!;
        }

        return queue;
    }

    /// <summary>The client's request count when it was last scored (under <see cref="Drain"/>).</summary>
    internal long ScoredAt { get; set; }

    /// <summary>When it was last scored (timestamp of the tracker's clock; under <see cref="Drain"/>).</summary>
    internal long ScoredTime { get; set; }

    /// <summary>Ticks of the tracker's clock when the client was last seen.</summary>
    public long LastSeen { get; internal set; }

    /// <summary>
    /// The client's confirmed score: the lowest of its last <see cref="AnomalyOptions.ConfirmingScores"/>
    /// model scores (0 until it has that many), what its actions follow.
    /// </summary>
    public float Score { get; internal set; }

    /// <summary>The model's latest score, before confirmation.</summary>
    public float LastScore => Recent.Latest;

    /// <summary>The model's latest scores, which confirm <see cref="Score"/> (under <see cref="Gate"/>).</summary>
    internal RecentScores Recent;

    /// <summary>Batched scoring: the features waiting to be scored, and whether they wait (under <see cref="Gate"/>).</summary>
    internal float[]? QueuedFeatures { get; set; }

    internal bool Queued { get; set; }

    /// <summary>Batched scoring: the features <see cref="LastScore"/> came from, for the reasons of an action (under <see cref="Gate"/>).</summary>
    internal float[]? ScoredFeatures { get; set; }

    /// <summary>The index of the policy action the client holds; -1 for none.</summary>
    public int Level { get; internal set; } = -1;

    /// <summary>Until when the client holds <see cref="Level"/> (ticks).</summary>
    public long HeldUntil { get; internal set; }

    /// <summary>The reasons recorded when the client last reached a new action.</summary>
    public string? Reasons { get; internal set; }

    /// <summary>Throttle tokens left and when they were last topped up (ticks).</summary>
    internal double ThrottleTokens { get; set; } = double.NaN;

    internal long ThrottleRefilled { get; set; }

    /// <summary>Starts over (the client was idle beyond the expiry). Call holding <see cref="Drain"/> and <see cref="Gate"/>.</summary>
    internal void Forget()
    {
        Pending?.Clear();
        ScoredAt = 0;
        ScoredTime = 0;
        Behaviour = new ClientBehaviour();
        Score = 0;
        Recent = default;
        Level = -1;
        HeldUntil = 0;
        Reasons = null;
        ThrottleTokens = double.NaN;
    }
}

/// <summary>
/// The clients the engine watches, bounded: at most <see cref="AnomalyOptions.MaxClients"/>, each
/// forgotten after <see cref="AnomalyOptions.IdleExpiry"/> without a request, the least recently
/// seen evicted first when a flood of new identities fills the table.
/// </summary>
public sealed class ClientTracker
{
    private readonly ConcurrentDictionary<string, TrackedClient> _clients = new(StringComparer.Ordinal);
    private readonly TimeProvider _time;
    private readonly Lock _evicting = new();
    private long _evicted;

    public ClientTracker(TimeProvider time, int maxClients, TimeSpan idleExpiry)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxClients, 1);
        _time = time;
        MaxClients = maxClients;
        IdleExpiry = idleExpiry;
    }

    public int MaxClients { get; }

    public TimeSpan IdleExpiry { get; }

    public int Count => _clients.Count;

    /// <summary>Clients forgotten to stay under <see cref="MaxClients"/>.</summary>
    public long Evicted => Interlocked.Read(ref _evicted);

    /// <summary>The client's state, created when new; an idle client's state starts over.</summary>
    public TrackedClient Get(string key)
    {
        var now = _time.GetTimestamp();
        if (_clients.TryGetValue(key, out var client))
        {
            if (_time.GetElapsedTime(client.LastSeen, now) > IdleExpiry)
            {
                lock (client.Drain)
                {
                    lock (client.Gate)
                    {
                        client.Forget();
                    }
                }
            }

            client.LastSeen = now;
            return client;
        }

        if (_clients.Count >= MaxClients)
        {
            Evict(now);
        }

        return _clients.GetOrAdd(key, static (k, t) => new TrackedClient(k, t), now);
    }

    /// <summary>The client's state when it is tracked.</summary>
    public TrackedClient? Find(string key) => _clients.TryGetValue(key, out var client) ? client : null;

    /// <summary>Forgets the idle clients, then the least recently seen eighth while still at the cap.</summary>
    private void Evict(long now)
    {
        lock (_evicting)
        {
            if (_clients.Count < MaxClients)
            {
                return;
            }

            var snapshot = _clients.ToArray();
            var removed = 0;
            foreach (var (key, client) in snapshot)
            {
                if (_time.GetElapsedTime(client.LastSeen, now) > IdleExpiry && _clients.TryRemove(key, out _))
                {
                    removed++;
                }
            }

            if (_clients.Count >= MaxClients)
            {
                Array.Sort(snapshot, static (a, b) => a.Value.LastSeen.CompareTo(b.Value.LastSeen));
                var target = Math.Max(1, MaxClients / 8);
                for (var i = 0; i < snapshot.Length && removed < target; i++)
                {
                    if (_clients.TryRemove(snapshot[i].Key, out _))
                    {
                        removed++;
                    }
                }
            }

            Interlocked.Add(ref _evicted, removed);
        }
    }
}
