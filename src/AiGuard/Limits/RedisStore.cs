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
    // reserve, 'S' settle) and its number of budgets n, then per budget: tokens, per-minute and
    // per-day (reserve) or the delta (settle). KEYS: the minute and day counters of each budget
    // of each operation, in the same order. Per operation the result is {1, minute1, day1,
    // minute2, day2...} (reserved; what each window now holds) or {-2 (day) / -1 (minute),
    // index of the budget without room}, when this budget and the ones before it give back what
    // they took; a settle's result is {1}.
    // Few calls per operation (Redis's time is most of a batch's cost): a reservation adds first
    // and checks after (the script is atomic, so nobody sees the sum it may take back), and sets
    // a TTL only on the counter it created; a reservation of 0 tokens reads. A settlement adds
    // its delta: a counter that drops to 0 or below (nothing left, or a window that expired and
    // would be recreated without a TTL) is deleted, which reads as 0; a positive delta (an
    // answer that used more than reserved) only touches counters that still exist.
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
            for i = 1, n do
              local b = a + 3 * (i - 1)
              local tokens = tonumber(ARGV[b])
              local perMinute = tonumber(ARGV[b + 1])
              local perDay = tonumber(ARGV[b + 2])
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
                  local taken = tonumber(ARGV[a + 3 * (j - 1)])
                  if taken ~= 0 then
                    redis.call('DECRBY', KEYS[k + 2 * (j - 1)], taken)
                    redis.call('DECRBY', KEYS[k + 2 * (j - 1) + 1], taken)
                  end
                end
                out = {full, i}
                break
              end
              out[2 * i] = m
              out[2 * i + 1] = d
            end
            results[op] = out
            a = a + 3 * n
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

    private readonly RedisStore _redis;
    private readonly Lock _gate = new();
    private readonly Queue<Operation> _pending = new();
    private int _running;
    private long _runs;
    private TaskCompletionSource? _idle;

    /// <summary>How long disposing waits for queued operations (settlements the requests did not wait for) to reach Redis.</summary>
    public static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(5);

    public RedisTokenBudgetStore(RedisStore redis) => _redis = redis;

    /// <summary>Script runs so far (each serves one or more operations).</summary>
    public long Runs => Interlocked.Read(ref _runs);

    public async ValueTask<TokenReservationsResult> TryReserveAllAsync(IReadOnlyList<TokenRequest> requests, DateTimeOffset now)
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
                RemainingMinute = budget.PerMinute > 0 ? budget.PerMinute - (long)result[1 + (2 * i)] : long.MaxValue,
                RemainingDay = budget.PerDay > 0 ? budget.PerDay - (long)result[2 + (2 * i)] : long.MaxValue,
            };
        }

        return new TokenReservationsResult(reservations, -1, TimeSpan.Zero);
    }

    public async ValueTask SettleAllAsync(IReadOnlyList<TokenReservation> reservations, long used)
    {
        var changed = false;
        foreach (var reservation in reservations)
        {
            changed |= used != reservation.Tokens;
        }

        if (changed)
        {
            await Submit(Operation.Settle(this, reservations, used));
        }
    }

    /// <summary>
    /// Waits (at most <see cref="DrainTimeout"/>) until what is queued has been sent and answered:
    /// at shutdown, the settlements of the last requests reach Redis before the connection closes.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
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
            await idle.WaitAsync(DrainTimeout).ConfigureAwait(false);
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

    /// <summary>One request's reservation or settlement waiting for its run, with its part of the run's KEYS and ARGV.</summary>
    private sealed class Operation(RedisKey[] keys, RedisValue[] values)
    {
        /// <summary>The minute and day counters of each budget.</summary>
        public RedisKey[] Keys { get; } = keys;

        /// <summary>'R' or 'S', the number of budgets, then per budget tokens, per-minute and per-day (reserve) or the delta (settle).</summary>
        public RedisValue[] Values { get; } = values;

        // Completed outside the lock, by a loop; the caller goes on in the thread pool, not on the loop.
        public TaskCompletionSource<RedisResult[]> Completion { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public static Operation Reserve(RedisTokenBudgetStore store, IReadOnlyList<TokenRequest> requests, long minute, long day)
        {
            var keys = new RedisKey[2 * requests.Count];
            var values = new RedisValue[2 + (3 * requests.Count)];
            values[0] = "R";
            values[1] = requests.Count;
            for (var i = 0; i < requests.Count; i++)
            {
                var (budget, key, tokens) = requests[i];
                keys[2 * i] = store.Key(budget, key, "m", minute);
                keys[(2 * i) + 1] = store.Key(budget, key, "d", day);
                values[2 + (3 * i)] = tokens;
                values[3 + (3 * i)] = budget.PerMinute;
                values[4 + (3 * i)] = budget.PerDay;
            }

            return new Operation(keys, values);
        }

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
