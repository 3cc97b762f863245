using System.Diagnostics;
using System.Diagnostics.Metrics;
using AiGuard.Configuration;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;
using StackExchange.Redis;

namespace AiGuard.Limits;

/// <summary>The <c>AiGuard:Redis</c> section: the shared store of replicas.</summary>
public sealed class RedisOptions
{
    /// <summary>A StackExchange.Redis configuration string (<c>host:port,password=...,ssl=true</c>); empty keeps everything in process.</summary>
    public string? Configuration { get; set; }

    /// <summary>Prefix of every key AiGuard writes, so several deployments can share one Redis.</summary>
    public string KeyPrefix { get; set; } = "aiguard:";

    /// <summary>How long a request waits for Redis before the limit's fail mode decides (default 250 ms).</summary>
    public int TimeoutMilliseconds { get; set; } = 250;
}

/// <summary>The connection to Redis, opened at start and kept; it reconnects on its own after an outage.</summary>
/// <remarks>
/// The connection never blocks the start: with Redis down, the gateway starts and each limit
/// follows its fail mode until Redis answers again.
/// </remarks>
public sealed partial class RedisStore : IDisposable
{
    private readonly ConnectionMultiplexer _connection;

    /// <param name="meters">Where <see cref="RedisMetrics"/> are created; none measures nothing.</param>
    public RedisStore(RedisOptions options, ILogger<RedisStore> logger, IMeterFactory? meters = null)
    {
        Metrics = meters is null ? null : new RedisMetrics(meters);
        var configuration = ConfigurationOptions.Parse(options.Configuration!);
        configuration.AbortOnConnectFail = false;
        configuration.ConnectTimeout = Math.Max(options.TimeoutMilliseconds, 1000);
        configuration.SyncTimeout = options.TimeoutMilliseconds;
        configuration.AsyncTimeout = options.TimeoutMilliseconds;
        configuration.ConnectRetry = 1;
        configuration.ReconnectRetryPolicy = new LinearRetry(500);
        configuration.ClientName = "aiguard";
        _connection = ConnectionMultiplexer.Connect(configuration);
        _connection.ConnectionFailed += (_, e) => LogConnectionFailed(logger, e.EndPoint?.ToString(), e.FailureType);
        _connection.ConnectionRestored += (_, e) =>
        {
            LogConnectionRestored(logger, e.EndPoint?.ToString());
            if (e.ConnectionType == ConnectionType.Interactive)
            {
                Restored?.Invoke(this, EventArgs.Empty);
            }
        };
        KeyPrefix = options.KeyPrefix;
    }

    public string KeyPrefix { get; }

    public IDatabase Database => _connection.GetDatabase();

    /// <summary>The store's instruments, when a meter factory was given.</summary>
    public RedisMetrics? Metrics { get; }

    /// <summary>Runs a script, timed under <paramref name="operation"/> (<see cref="RedisMetrics"/>).</summary>
    public Task<RedisResult> EvaluateAsync(string operation, string script, RedisKey[] keys, RedisValue[] values)
    {
        if (Metrics is not { TimesRuns: true } metrics)
        {
            return Database.ScriptEvaluateAsync(script, keys, values);
        }

        var started = Stopwatch.GetTimestamp();
        return metrics.TimeAsync(operation, started, Database.ScriptEvaluateAsync(script, keys, values));
    }

    public bool IsConnected => _connection.IsConnected;

    /// <summary>Pub/sub on the same connection (the quarantine list reaches every replica through it).</summary>
    public ISubscriber Subscriber => _connection.GetSubscriber();

    /// <summary>The servers behind the connection (to scan keys).</summary>
    public IServer[] Servers => _connection.GetServers();

    /// <summary>Raised when the connection comes back after an outage.</summary>
    public event EventHandler? Restored;

    /// <summary>The configured store, or null when <c>AiGuard:Redis:Configuration</c> is empty. Read once, at start.</summary>
    /// <remarks>Read from the configuration itself, not the gateway's snapshot: the snapshot's stages depend on this store.</remarks>
    public static RedisStore? Create(IConfiguration configuration, ILogger<RedisStore> logger, IMeterFactory? meters = null)
    {
        var options = new RedisOptions();
        configuration.GetSection($"{AiGuardOptions.SectionName}:Redis").Bind(options);
        return string.IsNullOrWhiteSpace(options.Configuration) ? null : new RedisStore(options, logger, meters);
    }

    public void Dispose() => _connection.Dispose();

    [LoggerMessage(Level = LogLevel.Error, Message = "Redis at {EndPoint} is unreachable ({FailureType}); limits follow their fail mode until it returns")]
    private static partial void LogConnectionFailed(ILogger logger, string? endPoint, ConnectionFailureType failureType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis at {EndPoint} is reachable again")]
    private static partial void LogConnectionRestored(ILogger logger, string? endPoint);
}

/// <summary>
/// Token budgets shared by every replica through Redis. One atomic script reserves a request's
/// tokens from both windows of every budget or from none, and settles them; the requests that
/// arrive while script runs are on their way share the next run (a group commit).
/// </summary>
/// <remarks>
/// Batching changes no count: the script applies the operations of a run one after the other,
/// in the order they arrived, each exactly as if it ran alone, so a budget is as exact as with
/// one run per request. It changes what a request costs: under load one round trip, one
/// script run and one reply serve many requests. Nothing waits to fill a batch: an operation
/// that finds fewer than <see cref="MaxRunsInFlight"/> runs on their way starts one at once, so
/// a lone request pays one round trip, as before. A failed run fails its operations and the ones queued behind it (each request's
/// fail mode decides), so a Redis that times out holds a request for about one timeout, not one
/// per queued batch. A run that timed out may still have been applied by Redis: its
/// reservations then stay taken until their windows end (the safe side), and a settlement that
/// failed is not retried (its reservation stays taken as well).
/// </remarks>
public sealed class RedisTokenBudgetStore : ITokenBudgetStore, IAsyncDisposable, IDisposable
{
    /// <summary>Operations per script run at most; more wait for the next run (a run of 64 takes well under a millisecond of Redis time).</summary>
    public const int MaxBatch = 64;

    /// <summary>
    /// Script runs on their way at once. One would make every request wait for the run before
    /// its own (a serial pipeline whose cycle includes Redis's time and the callers'); a few keep
    /// Redis and this process busy at the same time. Runs are sent in the order their operations
    /// were queued (one connection keeps that order), so they are applied in that order too.
    /// </summary>
    public const int MaxRunsInFlight = 4;

    // A batch of operations in one run. ARGV: the two TTLs, then per operation its kind ('R'
    // reserve, 'S' settle) and its number of budgets n, then per budget: tokens, extra,
    // per-minute and per-day (reserve) or the delta (settle). KEYS: the minute and day counters
    // of each budget of each operation, in the same order. Per operation the result is {1,
    // minute1, day1, extra1, minute2, day2, extra2...} (reserved; what each window now holds and
    // how many extra tokens were taken for the replica's lease) or {-2 (day) / -1 (minute), index
    // of the budget without room}, when this budget and the ones before it give back what they
    // took; a settle's result is {1}.
    // Few calls per operation (Redis's time is most of a batch's cost): a reservation adds first
    // and checks after (the script is atomic, so nobody sees the sum it may take back), and sets
    // a TTL only on the counter it created; a reservation of 0 tokens reads. Once the tokens fit,
    // up to `extra` more are taken where both windows have room (a lease's block: never more
    // than the budget). A settlement adds its delta: a counter that drops to 0 or below (nothing
    // left, or a window that expired and would be recreated without a TTL) is deleted, which
    // reads as 0; a positive delta (an answer that used more than reserved) only touches
    // counters that still exist.
    private const string BatchScript = """
        local results = {}
        local a = 3
        local k = 1
        local op = 0
        while a <= #ARGV do
          local kind = ARGV[a]
          local n = tonumber(ARGV[a + 1])
          a = a + 2
          op = op + 1
          if kind == 'R' then
            local out = {1}
            local extras = {}
            for i = 1, n do
              local b = a + 4 * (i - 1)
              local tokens = tonumber(ARGV[b])
              local extra = tonumber(ARGV[b + 1])
              local perMinute = tonumber(ARGV[b + 2])
              local perDay = tonumber(ARGV[b + 3])
              local mk = KEYS[k + 2 * (i - 1)]
              local dk = KEYS[k + 2 * (i - 1) + 1]
              local m, d
              if tokens == 0 then
                m = tonumber(redis.call('GET', mk) or '0')
                d = tonumber(redis.call('GET', dk) or '0')
              else
                m = redis.call('INCRBY', mk, tokens)
                if m == tokens then redis.call('EXPIRE', mk, ARGV[1]) end
                d = redis.call('INCRBY', dk, tokens)
                if d == tokens then redis.call('EXPIRE', dk, ARGV[2]) end
              end
              local full = 0
              if perDay > 0 and d > perDay then full = -2
              elseif perMinute > 0 and m > perMinute then full = -1 end
              if full < 0 then
                for j = 1, i do
                  local taken = tonumber(ARGV[a + 4 * (j - 1)]) + (extras[j] or 0)
                  if taken ~= 0 then
                    redis.call('DECRBY', KEYS[k + 2 * (j - 1)], taken)
                    redis.call('DECRBY', KEYS[k + 2 * (j - 1) + 1], taken)
                  end
                end
                out = {full, i}
                break
              end
              local x = 0
              if extra > 0 and tokens > 0 then
                x = extra
                if perMinute > 0 then x = math.min(x, perMinute - m) end
                if perDay > 0 then x = math.min(x, perDay - d) end
                if x > 0 then
                  m = redis.call('INCRBY', mk, x)
                  d = redis.call('INCRBY', dk, x)
                else
                  x = 0
                end
              end
              extras[i] = x
              out[3 * i - 1] = m
              out[3 * i] = d
              out[3 * i + 1] = x
            end
            results[op] = out
            a = a + 4 * n
          else
            for i = 1, n do
              local delta = tonumber(ARGV[a + i - 1])
              for c = k + 2 * (i - 1), k + 2 * (i - 1) + 1 do
                if delta < 0 then
                  if redis.call('INCRBY', KEYS[c], delta) <= 0 then redis.call('DEL', KEYS[c]) end
                elseif delta > 0 and redis.call('EXISTS', KEYS[c]) == 1 then
                  redis.call('INCRBY', KEYS[c], delta)
                end
              end
            end
            results[op] = {1}
            a = a + n
          end
          k = k + 2 * n
        end
        return results
        """;

    /// <summary>How many times a refused request tries again with tokens a block brought to its lease meanwhile.</summary>
    private const int MaxLeaseRetries = 32;

    /// <summary>How often leases of a minute that has ended give their unused tokens back to the day window.</summary>
    public static readonly TimeSpan LeaseSweepInterval = TimeSpan.FromSeconds(15);

    private readonly RedisStore _redis;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Queue<Operation> _pending = new();
    private readonly Lock _leaseGate = new();
    private readonly Dictionary<(string Budget, LimitKey Key), Lease> _leases = [];
    private readonly ITimer _sweep;
    private bool _closing;
    private int _reserving;
    private TaskCompletionSource? _quiet;
    private int _running;
    private long _runs;
    private TaskCompletionSource? _idle;

    /// <summary>How long disposing waits for queued operations (settlements the requests did not wait for) to reach Redis.</summary>
    public static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    /// <param name="time">The clock of the lease sweep (<see cref="LeaseSweepInterval"/>).</param>
    public RedisTokenBudgetStore(RedisStore redis, TimeProvider? time = null)
    {
        _redis = redis;
        _time = time ?? TimeProvider.System;
        _sweep = _time.CreateTimer(static state => ((RedisTokenBudgetStore)state!).ReturnEndedLeases(), this, LeaseSweepInterval, LeaseSweepInterval);
        redis.Metrics?.ObserveLeases(LeasedByBudget);
    }

    /// <summary>Script runs so far (each serves one or more operations).</summary>
    public long Runs => Interlocked.Read(ref _runs);

    /// <summary>Tokens this replica holds in leases and has not handed out (what the cluster may refuse early by).</summary>
    public long LeasedTokens
    {
        get
        {
            lock (_leaseGate)
            {
                return _leases.Values.Sum(lease => lease.Left);
            }
        }
    }

    /// <summary>What <c>aiguard.token_budget.leased</c> reports: the tokens held, summed per budget.</summary>
    private List<System.Diagnostics.Metrics.Measurement<long>> LeasedByBudget()
    {
        lock (_leaseGate)
        {
            return [.. _leases.Values
                .GroupBy(lease => lease.Budget.Name, StringComparer.Ordinal)
                .Select(held => new System.Diagnostics.Metrics.Measurement<long>(held.Sum(lease => lease.Left), new KeyValuePair<string, object?>(Telemetry.TelemetryAttributes.Budget, held.Key)))];
        }
    }

    /// <remarks>
    /// A budget with <see cref="TokenBudget.LeaseTokens"/> first takes what it can from this
    /// replica's lease of the current windows; only the rest goes to Redis, together with a new
    /// block for the lease (at most one block on its way per lease). When every budget of the
    /// request fits in its lease, nothing goes to Redis (so it is served while Redis is away).
    /// If Redis refuses or fails, what the leases lent goes back to them; a request that Redis
    /// refused waits for the operations that had tokens of its lease on their way, and tries
    /// again when they brought the lease more than it had, so one replica admits what fits to
    /// within a few tokens of one block (docs/configuration.md).
    /// </remarks>
    public ValueTask<TokenReservationsResult> TryReserveAllAsync(IReadOnlyList<TokenRequest> requests, DateTimeOffset now) =>
        TryReserveAllAsync(requests, now, 0);

    private ValueTask<TokenReservationsResult> TryReserveAllAsync(IReadOnlyList<TokenRequest> requests, DateTimeOffset now, int attempt)
    {
        if (!AnyLeased(requests))
        {
            return ReserveWithoutLeasesAsync(requests, now);
        }

        var (_, minute, day) = BudgetWindows.Of(now);
        Lease?[]? leases = null;
        long[]? lent = null;
        var complete = true;
        TaskCompletionSource? mine = null;
        List<Operation>? refunds = null;

        lock (_leaseGate)
        {
            for (var i = 0; i < requests.Count; i++)
            {
                var (budget, key, tokens) = requests[i];
                if (budget.LeaseTokens <= 0 || tokens <= 0 || LeaseLocked(budget, key, minute, day, ref refunds) is not { } lease)
                {
                    // No lease (or a read): Redis answers.
                    complete = false;
                    continue;
                }

                var take = Math.Min(lease.Left, tokens);
                lease.Left -= take;
                (leases ??= new Lease?[requests.Count])[i] = lease;
                (lent ??= new long[requests.Count])[i] = take;
                complete &= take == tokens;
            }

            if (!complete)
            {
                // Tokens lent to an operation on its way are visible to requests refused meanwhile
                // from the moment they leave the lease (in this same lock), so they wait for them.
                mine = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                for (var i = 0; i < requests.Count; i++)
                {
                    if (lent?[i] > 0)
                    {
                        leases![i]!.InFlight.Add(mine);
                        leases[i]!.Lent += lent[i];
                    }
                }

                if (leases is not null)
                {
                    // Counted in the lock that handed out the lease: a store that starts closing
                    // after it waits for this operation's block before it gives the leases back.
                    _reserving++;
                }
            }
        }

        SubmitRefunds(refunds);
        return complete
            ? new(new TokenReservationsResult(Reservations(requests, minute, day, leases, null), -1, TimeSpan.Zero))
            : ReserveInRedisAsync(requests, now, leases, lent, mine, attempt);
    }

    /// <summary>A request none of whose budgets uses blocks: one script operation, nothing else.</summary>
    private async ValueTask<TokenReservationsResult> ReserveWithoutLeasesAsync(IReadOnlyList<TokenRequest> requests, DateTimeOffset now)
    {
        var (seconds, minute, day) = BudgetWindows.Of(now);
        var result = await Submit(Operation.Reserve(this, requests, minute, day));
        var outcome = (long)result[0];
        if (outcome < 0)
        {
            return new TokenReservationsResult(null, (int)(long)result[1] - 1, BudgetWindows.RetryAfter(outcome == -2, seconds, minute, day));
        }

        var reservations = new TokenReservation[requests.Count];
        for (var i = 0; i < reservations.Length; i++)
        {
            var (budget, key, tokens) = requests[i];
            reservations[i] = new TokenReservation(budget, key, tokens, minute, day)
            {
                RemainingMinute = budget.PerMinute > 0 ? budget.PerMinute - (long)result[1 + (3 * i)] : long.MaxValue,
                RemainingDay = budget.PerDay > 0 ? budget.PerDay - (long)result[2 + (3 * i)] : long.MaxValue,
            };
        }

        return new TokenReservationsResult(reservations, -1, TimeSpan.Zero);
    }

    /// <summary>Whether a budget of the request is served from blocks (else the leases' lock is not taken at all).</summary>
    private static bool AnyLeased(IReadOnlyList<TokenRequest> requests)
    {
        for (var i = 0; i < requests.Count; i++)
        {
            if (requests[i].Budget.LeaseTokens > 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <param name="mine">This request's operation, for the requests Redis refuses while it holds tokens of their lease (none without leases).</param>
    private async ValueTask<TokenReservationsResult> ReserveInRedisAsync(IReadOnlyList<TokenRequest> requests, DateTimeOffset now, Lease?[]? leases, long[]? lent, TaskCompletionSource? mine, int attempt)
    {
        var (seconds, minute, day) = BudgetWindows.Of(now);
        var asked = new List<(int Index, long Tokens, long Extra)>(requests.Count);
        try
        {
            if (leases is null)
            {
                // No block involved: every budget asks Redis for its tokens, without a lock.
                for (var i = 0; i < requests.Count; i++)
                {
                    asked.Add((i, requests[i].Tokens, 0));
                }
            }
            else
            {
                lock (_leaseGate)
                {
                    Ask(requests, leases, lent!, mine!, minute, day, asked);
                }
            }

            (long Minute, long Day, long Extra)[] answers;
            long outcome;
            try
            {
                var result = await Submit(Operation.Reserve(this, requests, asked, minute, day));
                outcome = (long)result[0];
                answers = outcome < 0
                    ? [((long)result[1], 0, 0)]
                    : [.. asked.Select((_, j) => ((long)result[1 + (3 * j)], (long)result[2 + (3 * j)], (long)result[3 + (3 * j)]))];
            }
            catch
            {
                GiveBack(requests, leases, lent, asked, minute, day, mine);
                throw;
            }

            if (outcome < 0)
            {
                GiveBack(requests, leases, lent, asked, minute, day, mine);
                var full = asked[(int)answers[0].Minute - 1].Index;
                if (attempt < MaxLeaseRetries && await LeaseMayServeAsync(leases?[full], lent?[full] ?? 0, minute, day))
                {
                    return await TryReserveAllAsync(requests, now, attempt + 1);
                }

                return new TokenReservationsResult(null, full, BudgetWindows.RetryAfter(outcome == -2, seconds, minute, day));
            }

            var counted = new (long Minute, long Day)?[requests.Count];
            if (leases is null)
            {
                for (var j = 0; j < asked.Count; j++)
                {
                    counted[asked[j].Index] = (answers[j].Minute, answers[j].Day);
                }

                return new TokenReservationsResult(Reservations(requests, minute, day, null, counted), -1, TimeSpan.Zero);
            }

            List<Operation>? refunds = null;
            lock (_leaseGate)
            {
                for (var j = 0; j < asked.Count; j++)
                {
                    var (index, _, extra) = asked[j];
                    var (m, d, taken) = answers[j];
                    counted[index] = (m, d);
                    if (leases?[index] is not { } lease)
                    {
                        continue;
                    }

                    if (IsCurrent(lease, minute, day))
                    {
                        if (extra > 0)
                        {
                            (lease.Fetching, lease.Coming) = (false, 0);
                        }

                        lease.Left += taken;
                        (lease.MinuteCounted, lease.DayCounted) = (m, d);
                    }
                    else if (taken > 0)
                    {
                        // The lease moved on to later windows (or was given back) while the block was on its way: the block goes back.
                        (refunds ??= []).Add(Operation.Refund(this, lease.Budget, lease.Key, minute, day, taken));
                    }
                }

                // What the leases lent is handed out now.
                for (var i = 0; i < requests.Count; i++)
                {
                    if (lent?[i] > 0 && IsCurrent(leases![i]!, minute, day))
                    {
                        leases[i]!.Lent -= lent[i];
                    }
                }

                Release(leases, mine);
            }

            SubmitRefunds(refunds);
            return new TokenReservationsResult(Reservations(requests, minute, day, leases, counted), -1, TimeSpan.Zero);
        }
        finally
        {
            if (mine is not null)
            {
                lock (_leaseGate)
                {
                    Release(leases, mine);
                    if (leases is not null && --_reserving == 0)
                    {
                        _quiet?.TrySetResult();
                    }
                }
            }
        }
    }

    /// <summary>What a request asks Redis for: per budget the tokens its lease did not cover, and a block for a lease that holds less than one.</summary>
    private void Ask(IReadOnlyList<TokenRequest> requests, Lease?[] leases, long[] lent, TaskCompletionSource mine, long minute, long day, List<(int Index, long Tokens, long Extra)> asked)
    {
        for (var i = 0; i < requests.Count; i++)
        {
            var (budget, _, tokens) = requests[i];
            var need = tokens - lent[i];
            long extra = 0;
            if (leases[i] is { } lease)
            {
                // A block only while this replica holds less than one (two at most, then).
                if (need > 0 && !lease.Fetching && !_closing && IsCurrent(lease, minute, day) && lease.Held < budget.LeaseTokens)
                {
                    lease.Fetching = true;
                    extra = lease.Coming = budget.LeaseTokens;
                }

                if (extra > 0 && lent[i] == 0)
                {
                    lease.InFlight.Add(mine);
                }
            }

            if (need > 0 || tokens == 0)
            {
                asked.Add((i, need, extra));
            }
        }
    }

    /// <summary>This request's operation is over for the leases it touched: requests waiting for it go on.</summary>
    private static void Release(Lease?[]? leases, TaskCompletionSource? mine)
    {
        if (mine is null)
        {
            return;
        }

        foreach (var lease in leases ?? [])
        {
            lease?.InFlight.Remove(mine);
        }

        mine.TrySetResult();
    }

    /// <summary>
    /// Whether a request that Redis refused may fit in its lease now: the lease holds more than
    /// the request took from it, or may once the operations that had its tokens on their way
    /// (a block coming, tokens lent to requests that Redis may refuse as well) are over. Only
    /// those are waited for (not the ones that start later), and each completes once its own
    /// answer is counted in, so a wait lasts at most a round trip and never a cycle.
    /// </summary>
    private async ValueTask<bool> LeaseMayServeAsync(Lease? lease, long took, long minute, long day)
    {
        if (lease is null)
        {
            return false;
        }

        Task[] others;
        lock (_leaseGate)
        {
            if (!IsCurrent(lease, minute, day))
            {
                return false;
            }

            if (lease.Left > took)
            {
                return true;
            }

            others = [.. lease.InFlight.Select(other => other.Task)];
        }

        if (others.Length == 0)
        {
            return false;
        }

        await Task.WhenAll(others).ConfigureAwait(false);
        lock (_leaseGate)
        {
            return IsCurrent(lease, minute, day) && lease.Left > took;
        }
    }

    /// <summary>
    /// What a request's reservations report as left: the windows' counts Redis gave (or, served
    /// from its lease alone, the counts of the lease's last answer) plus what the lease holds,
    /// since Redis counts a lease's unused tokens as taken.
    /// </summary>
    private TokenReservation[] Reservations(IReadOnlyList<TokenRequest> requests, long minute, long day, Lease?[]? leases, (long Minute, long Day)?[]? counted)
    {
        var reservations = new TokenReservation[requests.Count];
        for (var i = 0; i < reservations.Length; i++)
        {
            var (budget, key, tokens) = requests[i];
            var (m, d) = counted?[i] ?? default;
            long left = 0;
            if (budget.LeaseTokens > 0)
            {
                lock (_leaseGate)
                {
                    // A read (0 tokens) took nothing from the lease, but what it holds is still free.
                    var lease = leases?[i] ?? _leases.GetValueOrDefault((budget.Name, key));
                    if (lease is not null && IsCurrent(lease, minute, day))
                    {
                        left = lease.Left;
                        (m, d) = counted?[i] ?? (lease.MinuteCounted, lease.DayCounted);
                    }
                }
            }

            reservations[i] = new TokenReservation(budget, key, tokens, minute, day)
            {
                RemainingMinute = budget.PerMinute > 0 ? budget.PerMinute - m + left : long.MaxValue,
                RemainingDay = budget.PerDay > 0 ? budget.PerDay - d + left : long.MaxValue,
            };
        }

        return reservations;
    }

    /// <summary>A reservation that failed in Redis: what the leases lent goes back to them (or to Redis, if their windows moved on), and requests waiting for it go on.</summary>
    private void GiveBack(IReadOnlyList<TokenRequest> requests, Lease?[]? leases, long[]? lent, List<(int Index, long Tokens, long Extra)> asked, long minute, long day, TaskCompletionSource? mine)
    {
        if (leases is null)
        {
            Release(null, mine);
            return;
        }

        List<Operation>? refunds = null;
        lock (_leaseGate)
        {
            foreach (var (index, _, extra) in asked)
            {
                if (extra > 0 && leases[index] is { } lease && IsCurrent(lease, minute, day))
                {
                    (lease.Fetching, lease.Coming) = (false, 0);
                }
            }

            for (var i = 0; i < requests.Count; i++)
            {
                if (lent?[i] > 0 && leases[i] is { } lease)
                {
                    if (IsCurrent(lease, minute, day))
                    {
                        lease.Lent -= lent[i];
                    }

                    ReturnLocked(lease, minute, day, lent[i], capped: false, ref refunds);
                }
            }

            Release(leases, mine);
        }

        SubmitRefunds(refunds);
    }

    /// <remarks>
    /// A leased budget's refund (an answer that used less than reserved) goes back to the lease
    /// it came from while its windows last, up to two blocks held (so a replica never sits on
    /// more than that); the rest, and every refund of a budget without a lease, is a script
    /// operation. An answer that used more than reserved takes the difference from the lease
    /// when it can.
    /// </remarks>
    public ValueTask SettleAllAsync(IReadOnlyList<TokenReservation> reservations, long used)
    {
        if (!AnyLeased(reservations))
        {
            return SettleInRedis(reservations, used);
        }

        List<TokenReservation>? viaRedis = null;
        List<Operation>? refunds = null;
        lock (_leaseGate)
        {
            foreach (var reservation in reservations)
            {
                var delta = used - reservation.Tokens;
                if (delta == 0)
                {
                    continue;
                }

                if (reservation.Budget.LeaseTokens > 0
                    && _leases.TryGetValue((reservation.Budget.Name, reservation.Key), out var lease)
                    && lease.Minute == reservation.MinuteStart && lease.Day == reservation.DayStart)
                {
                    if (delta < 0)
                    {
                        ReturnLocked(lease, lease.Minute, lease.Day, -delta, capped: true, ref refunds);
                        continue;
                    }

                    if (lease.Left >= delta)
                    {
                        lease.Left -= delta;
                        continue;
                    }
                }

                (viaRedis ??= new List<TokenReservation>(reservations.Count)).Add(reservation);
            }
        }

        if (viaRedis is null && refunds is null)
        {
            return default;
        }

        var runs = (refunds ?? []).Select(Submit).ToList();
        if (viaRedis is not null)
        {
            runs.Add(Submit(Operation.Settle(this, viaRedis, used)));
        }

        return new ValueTask(Task.WhenAll(runs));
    }

    /// <summary>Whether a reservation's budget is served from blocks (else its settlement takes no lease lock).</summary>
    private static bool AnyLeased(IReadOnlyList<TokenReservation> reservations)
    {
        for (var i = 0; i < reservations.Count; i++)
        {
            if (reservations[i].Budget.LeaseTokens > 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Settles reservations of budgets without blocks: one script operation, if any of them changes.</summary>
    private ValueTask SettleInRedis(IReadOnlyList<TokenReservation> reservations, long used)
    {
        for (var i = 0; i < reservations.Count; i++)
        {
            if (used != reservations[i].Tokens)
            {
                return new ValueTask(Submit(Operation.Settle(this, reservations, used)));
            }
        }

        return default;
    }

    /// <summary>
    /// The lease of a budget's partition for these windows. A lease of earlier windows is moved
    /// on: its unused tokens go back to Redis (they are counted in its day window; its minute
    /// window is over). Null when the lease is already in later windows (a request that read
    /// the clock just before a minute ended: it goes to Redis without it), and once the store
    /// is closing.
    /// </summary>
    private Lease? LeaseLocked(TokenBudget budget, LimitKey key, long minute, long day, ref List<Operation>? refunds)
    {
        if (_closing)
        {
            return null;
        }

        if (!_leases.TryGetValue((budget.Name, key), out var lease))
        {
            lease = new Lease(budget, key) { Minute = minute, Day = day };
            _leases[(budget.Name, key)] = lease;
        }
        else if (lease.Minute > minute || lease.Day > day)
        {
            return null;
        }
        else if (lease.Minute != minute || lease.Day != day)
        {
            RefundLeft(lease, ref refunds);

            // A block still on its way for the old windows goes back to Redis when it comes (its request sees the move).
            (lease.Minute, lease.Day, lease.Left, lease.Lent, lease.Coming, lease.Fetching, lease.MinuteCounted, lease.DayCounted) = (minute, day, 0, 0, 0, false, 0, 0);
        }

        return lease;
    }

    /// <summary>Whether this lease is the partition's lease (not one given back meanwhile) and still in these windows.</summary>
    private bool IsCurrent(Lease lease, long minute, long day) =>
        lease.Minute == minute && lease.Day == day && _leases.TryGetValue((lease.Budget.Name, lease.Key), out var current) && ReferenceEquals(current, lease);

    /// <summary>
    /// Tokens back to the lease while it is in the same windows, the rest back to Redis. What a
    /// lease lent comes back whole; a settlement's refund only up to two blocks held
    /// (<paramref name="capped"/>), so refunds serve this replica's next requests without
    /// one replica sitting on what the others need.
    /// </summary>
    private void ReturnLocked(Lease lease, long minute, long day, long tokens, bool capped, ref List<Operation>? refunds)
    {
        var keep = 0L;
        if (IsCurrent(lease, minute, day))
        {
            keep = capped ? Math.Min(tokens, Math.Max(0, (2 * lease.Budget.LeaseTokens) - lease.Held)) : tokens;
            lease.Left += keep;
        }

        if (tokens > keep)
        {
            (refunds ??= []).Add(Operation.Refund(this, lease.Budget, lease.Key, minute, day, tokens - keep));
            if (IsCurrent(lease, minute, day))
            {
                // What this replica knows of the windows' counts, for what reservations report as left.
                lease.MinuteCounted -= tokens - keep;
                lease.DayCounted -= tokens - keep;
            }
        }
    }

    /// <summary>Leases of a minute that has ended give their unused tokens back to Redis and are dropped (memory follows the active partitions).</summary>
    private void ReturnEndedLeases()
    {
        var (_, minute, _) = BudgetWindows.Of(_time.GetUtcNow());
        List<Operation>? refunds = null;
        lock (_leaseGate)
        {
            foreach (var (id, lease) in _leases.ToArray())
            {
                if (lease.Minute < minute && lease.InFlight.Count == 0)
                {
                    RefundLeft(lease, ref refunds);
                    _leases.Remove(id);
                }
            }
        }

        SubmitRefunds(refunds);
    }

    /// <summary>A lease's unused tokens, back to the windows they were counted in (the lease is then moved on or dropped).</summary>
    private void RefundLeft(Lease lease, ref List<Operation>? refunds)
    {
        if (lease.Left > 0)
        {
            (refunds ??= []).Add(Operation.Refund(this, lease.Budget, lease.Key, lease.Minute, lease.Day, lease.Left));
        }
    }

    /// <summary>Every lease gives its unused tokens back (at shutdown, once no operation can bring a block any more).</summary>
    private void ReturnAllLeases()
    {
        List<Operation>? refunds = null;
        lock (_leaseGate)
        {
            foreach (var lease in _leases.Values)
            {
                RefundLeft(lease, ref refunds);
            }

            _leases.Clear();
        }

        SubmitRefunds(refunds);
    }

    /// <summary>
    /// Sends refunds without waiting: they reach Redis before anything queued after them. One
    /// that fails leaves its tokens taken until their windows end (the safe side); the failure is
    /// counted by <see cref="RedisMetrics"/> like every run's.
    /// </summary>
    private void SubmitRefunds(List<Operation>? refunds)
    {
        foreach (var refund in refunds ?? [])
        {
            _ = Submit(refund).ContinueWith(static run => _ = run.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        }
    }

    /// <summary>
    /// Waits (at most <see cref="DrainTimeout"/>) until what is queued has been sent and answered:
    /// at shutdown, the settlements of the last requests reach Redis before the connection closes.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        // No new lease from now on; the operations on their way may still bring blocks: once they
        // are over (at most the drain timeout), every lease goes back, then the queue drains.
        // One deadline for both waits.
        var started = Stopwatch.GetTimestamp();
        var quiet = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        bool busy;
        lock (_leaseGate)
        {
            _closing = true;
            _quiet = quiet;
            busy = _reserving > 0;
        }

        await _sweep.DisposeAsync().ConfigureAwait(false);
        if (busy)
        {
            try
            {
                await quiet.Task.WaitAsync(DrainTimeout).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Redis did not answer in time: a block still on its way stays taken until its windows end.
            }
        }

        ReturnAllLeases();
        Task idle;
        lock (_gate)
        {
            if (_running == 0)
            {
                return;
            }

            idle = (_idle ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
        }

        try
        {
            var left = DrainTimeout - Stopwatch.GetElapsedTime(started);
            await idle.WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Redis did not answer in time: what was queued is lost, its reservations stay taken until their windows end.
        }
    }

    /// <summary>For a synchronous disposal (a container disposed without <c>DisposeAsync</c>): the same wait, blocking.</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();

    private Task<RedisResult[]> Submit(Operation operation)
    {
        lock (_gate)
        {
            _pending.Enqueue(operation);
            if (_running == MaxRunsInFlight)
            {
                return operation.Completion.Task;
            }

            _running++;
        }

        // The loop outlives this request: it must not carry the request's context (its trace, its
        // HttpContext) into the runs it makes for others.
        if (ExecutionContext.IsFlowSuppressed())
        {
            _ = RunAsync();
        }
        else
        {
            using (ExecutionContext.SuppressFlow())
            {
                _ = RunAsync();
            }
        }

        return operation.Completion.Task;
    }

    /// <summary>One of at most <see cref="MaxRunsInFlight"/> loops: runs the script for what is queued, until nothing is left.</summary>
    private async Task RunAsync()
    {
        while (Next() is var (batch, run) && batch is not null)
        {
            RedisResult[][]? results = null;
            Exception? failure = null;
            try
            {
                results = Results(await run!, batch.Count);
            }
            catch (Exception ex)
            {
                failure = ex;
            }

            if (!Thread.CurrentThread.IsThreadPoolThread)
            {
                // StackExchange.Redis completes on its own few threads: the loop's next run is
                // sent from the thread pool (one hand-off per run), never from those threads.
                await Task.Yield();
            }

            if (failure is not null)
            {
                // What queued behind a failed run would meet the same Redis: it fails now, not one timeout later.
                lock (_gate)
                {
                    batch.AddRange(_pending);
                    _pending.Clear();
                }

                foreach (var failed in batch)
                {
                    failed.Completion.TrySetException(failure);
                }

                continue;
            }

            // Each caller goes on in the thread pool (its completion runs continuations
            // asynchronously), so the loop only hands out results and no request's stages run on it.
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Completion.TrySetResult(results![i]);
            }
        }
    }

    /// <summary>
    /// The next operations (at most <see cref="MaxBatch"/>) and their script run, sent under the
    /// lock so runs reach Redis in the order their operations were queued: a request's
    /// settlement is applied before anything this replica queued after it. Null when none is
    /// queued (and the calling loop ends).
    /// </summary>
    private (List<Operation>? Batch, Task<RedisResult>? Run) Next()
    {
        lock (_gate)
        {
            if (_pending.Count == 0)
            {
                _running--;
                if (_running == 0)
                {
                    _idle?.TrySetResult();
                    _idle = null;
                }

                return (null, null);
            }

            var batch = new List<Operation>(Math.Min(_pending.Count, MaxBatch));
            int keyCount = 0, valueCount = 2;
            while (batch.Count < MaxBatch && _pending.TryDequeue(out var next))
            {
                batch.Add(next);
                keyCount += next.Keys.Length;
                valueCount += next.Values.Length;
            }

            // Each operation built its arguments on its caller's thread; here they are only joined.
            var keys = new RedisKey[keyCount];
            var values = new RedisValue[valueCount];
            values[0] = BudgetWindows.MinuteSeconds * 2;
            values[1] = BudgetWindows.DaySeconds + 3600;
            int k = 0, v = 2;
            foreach (var operation in batch)
            {
                operation.Keys.CopyTo(keys, k);
                operation.Values.CopyTo(values, v);
                k += operation.Keys.Length;
                v += operation.Values.Length;
            }

            Interlocked.Increment(ref _runs);
            _redis.Metrics?.Batch(batch.Count);
            Task<RedisResult> run;
            try
            {
                run = _redis.EvaluateAsync(RedisMetrics.TokenBudget, BatchScript, keys, values);
            }
            catch (Exception ex)
            {
                run = Task.FromException<RedisResult>(ex);
            }

            return (batch, run);
        }
    }

    /// <summary>The script's answer, one result per operation; any other shape fails the run (never a caller left waiting).</summary>
    private static RedisResult[][] Results(RedisResult reply, int operations)
    {
        var all = (RedisResult[])reply!;
        if (all.Length != operations)
        {
            throw new RedisException($"The token budget script answered {all.Length} results for {operations} operations.");
        }

        var results = new RedisResult[operations][];
        for (var i = 0; i < operations; i++)
        {
            results[i] = (RedisResult[])all[i]!;
        }

        return results;
    }

    private RedisKey Key(TokenBudget budget, LimitKey key, string window, long start) =>
        $"{_redis.KeyPrefix}tokens:{budget.Name}:{RedisKeys.Partition(key)}:{window}:{start}";

    /// <summary>Tokens of one budget partition this replica took from Redis for its windows and has not handed out yet.</summary>
    private sealed class Lease(TokenBudget budget, LimitKey key)
    {
        public TokenBudget Budget { get; } = budget;

        public LimitKey Key { get; } = key;

        public long Minute { get; set; }

        public long Day { get; set; }

        public long Left { get; set; }

        /// <summary>Tokens taken from <see cref="Left"/> by requests whose script operation is on its way (handed out, or back, when it answers).</summary>
        public long Lent { get; set; }

        /// <summary>The most the block on its way may bring.</summary>
        public long Coming { get; set; }

        /// <summary>What this replica holds or may hold of the budget: a block is asked for only below one, refunds are kept only up to two.</summary>
        public long Held => Left + Lent + Coming;

        /// <summary>A block for this lease is on its way (one at a time, so a burst takes one block, not one each).</summary>
        public bool Fetching { get; set; }

        /// <summary>The operations on their way with tokens of this lease (lent, or a block coming), each completed once its answer is counted in.</summary>
        public List<TaskCompletionSource> InFlight { get; } = [];

        /// <summary>The windows' counts in Redis when the last block came (for what a reservation reports as left).</summary>
        public long MinuteCounted { get; set; }

        public long DayCounted { get; set; }
    }

    /// <summary>One request's reservation or settlement waiting for its run, with its part of the run's KEYS and ARGV.</summary>
    private sealed class Operation(RedisKey[] keys, RedisValue[] values)
    {
        /// <summary>The minute and day counters of each budget.</summary>
        public RedisKey[] Keys { get; } = keys;

        /// <summary>'R' or 'S', the number of budgets, then per budget tokens, per-minute and per-day (reserve) or the delta (settle).</summary>
        public RedisValue[] Values { get; } = values;

        // Completed outside the lock, by a loop; the caller goes on in the thread pool, not on the loop.
        public TaskCompletionSource<RedisResult[]> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Every budget's tokens, no block.</summary>
        public static Operation Reserve(RedisTokenBudgetStore store, IReadOnlyList<TokenRequest> requests, long minute, long day)
        {
            var (keys, values) = Arguments(requests.Count);
            for (var i = 0; i < requests.Count; i++)
            {
                Put(store, keys, values, i, requests[i], requests[i].Tokens, 0, minute, day);
            }

            return new Operation(keys, values);
        }

        /// <summary>What a request with blocks asks: per budget the tokens its lease did not cover, and the block.</summary>
        public static Operation Reserve(RedisTokenBudgetStore store, IReadOnlyList<TokenRequest> requests, List<(int Index, long Tokens, long Extra)> asked, long minute, long day)
        {
            var (keys, values) = Arguments(asked.Count);
            for (var j = 0; j < asked.Count; j++)
            {
                var (index, tokens, extra) = asked[j];
                Put(store, keys, values, j, requests[index], tokens, extra, minute, day);
            }

            return new Operation(keys, values);
        }

        private static (RedisKey[] Keys, RedisValue[] Values) Arguments(int budgets)
        {
            var values = new RedisValue[2 + (4 * budgets)];
            values[0] = "R";
            values[1] = budgets;
            return (new RedisKey[2 * budgets], values);
        }

        private static void Put(RedisTokenBudgetStore store, RedisKey[] keys, RedisValue[] values, int j, TokenRequest request, long tokens, long extra, long minute, long day)
        {
            keys[2 * j] = store.Key(request.Budget, request.Key, "m", minute);
            keys[(2 * j) + 1] = store.Key(request.Budget, request.Key, "d", day);
            values[2 + (4 * j)] = tokens;
            values[3 + (4 * j)] = extra;
            values[4 + (4 * j)] = request.Budget.PerMinute;
            values[5 + (4 * j)] = request.Budget.PerDay;
        }

        /// <summary>Unused tokens of a lease (or of a failed reservation's lease part) given back to the windows they were counted in.</summary>
        public static Operation Refund(RedisTokenBudgetStore store, TokenBudget budget, LimitKey key, long minute, long day, long tokens) =>
            new([store.Key(budget, key, "m", minute), store.Key(budget, key, "d", day)], ["S", 1, -tokens]);

        public static Operation Settle(RedisTokenBudgetStore store, IReadOnlyList<TokenReservation> reservations, long used)
        {
            var keys = new RedisKey[2 * reservations.Count];
            var values = new RedisValue[2 + reservations.Count];
            values[0] = "S";
            values[1] = reservations.Count;
            for (var i = 0; i < reservations.Count; i++)
            {
                var reservation = reservations[i];
                keys[2 * i] = store.Key(reservation.Budget, reservation.Key, "m", reservation.MinuteStart);
                keys[(2 * i) + 1] = store.Key(reservation.Budget, reservation.Key, "d", reservation.DayStart);
                values[2 + i] = used - reservation.Tokens;
            }

            return new Operation(keys, values);
        }
    }
}

/// <summary>How a partition becomes part of a Redis key: readable, unambiguous, bounded in length.</summary>
internal static class RedisKeys
{
    public static string Partition(LimitKey key)
    {
        var text = $"c={Escape(key.Client)}|t={Escape(key.Tenant)}|r={Escape(key.Route)}|m={Escape(key.Model)}";
        return text.Length <= 200 ? text : "h=" + Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(text)));
    }

    private static string Escape(string? value) => value is null ? "-" : Uri.EscapeDataString(value);
}

/// <summary>The Redis store if one is configured (a holder, because DI cannot register a null singleton).</summary>
public sealed class RedisConnectionHolder(RedisStore? store) : IDisposable
{
    public RedisStore? Store { get; } = store;

    public void Dispose() => Store?.Dispose();
}
