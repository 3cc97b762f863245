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

    public RedisStore(RedisOptions options, ILogger<RedisStore> logger)
    {
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

    public bool IsConnected => _connection.IsConnected;

    /// <summary>Pub/sub on the same connection (the quarantine list reaches every replica through it).</summary>
    public ISubscriber Subscriber => _connection.GetSubscriber();

    /// <summary>The servers behind the connection (to scan keys).</summary>
    public IServer[] Servers => _connection.GetServers();

    /// <summary>Raised when the connection comes back after an outage.</summary>
    public event EventHandler? Restored;

    /// <summary>The configured store, or null when <c>AiGuard:Redis:Configuration</c> is empty. Read once, at start.</summary>
    /// <remarks>Read from the configuration itself, not the gateway's snapshot: the snapshot's stages depend on this store.</remarks>
    public static RedisStore? Create(IConfiguration configuration, ILogger<RedisStore> logger)
    {
        var options = new RedisOptions();
        configuration.GetSection($"{AiGuardOptions.SectionName}:Redis").Bind(options);
        return string.IsNullOrWhiteSpace(options.Configuration) ? null : new RedisStore(options, logger);
    }

    public void Dispose() => _connection.Dispose();

    [LoggerMessage(Level = LogLevel.Error, Message = "Redis at {EndPoint} is unreachable ({FailureType}); limits follow their fail mode until it returns")]
    private static partial void LogConnectionFailed(ILogger logger, string? endPoint, ConnectionFailureType failureType);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Redis at {EndPoint} is reachable again")]
    private static partial void LogConnectionRestored(ILogger logger, string? endPoint);
}

/// <summary>Token budgets shared by every replica through Redis: one atomic script reserves a request's tokens from both windows of every budget or from none, and one settles them.</summary>
public sealed class RedisTokenBudgetStore : ITokenBudgetStore
{
    // Every budget of one request in one run: KEYS are the minute and day counters of each budget
    // in turn; ARGV the two TTLs, then tokens, per-minute and per-day of each budget. Checks and
    // takes budget by budget; a budget without room gives back what the earlier ones took.
    // Returns {1, minute1, day1, minute2, day2...} or {-2 (day) / -1 (minute), index of the budget}.
    private const string ReserveAllScript = """
        local out = {1}
        for i = 1, #KEYS / 2 do
          local a = 2 + 3 * (i - 1)
          local tokens = tonumber(ARGV[a + 1])
          local perMinute = tonumber(ARGV[a + 2])
          local perDay = tonumber(ARGV[a + 3])
          local m = tonumber(redis.call('GET', KEYS[2 * i - 1]) or '0')
          local d = tonumber(redis.call('GET', KEYS[2 * i]) or '0')
          local full = 0
          if perDay > 0 and d + tokens > perDay then full = -2
          elseif perMinute > 0 and m + tokens > perMinute then full = -1 end
          if full < 0 then
            for j = 1, i - 1 do
              local taken = tonumber(ARGV[2 + 3 * (j - 1) + 1])
              redis.call('DECRBY', KEYS[2 * j - 1], taken)
              redis.call('DECRBY', KEYS[2 * j], taken)
            end
            return {full, i}
          end
          out[2 * i] = redis.call('INCRBY', KEYS[2 * i - 1], tokens)
          redis.call('EXPIRE', KEYS[2 * i - 1], ARGV[1])
          out[2 * i + 1] = redis.call('INCRBY', KEYS[2 * i], tokens)
          redis.call('EXPIRE', KEYS[2 * i], ARGV[2])
        end
        return out
        """;

    // Every reservation of one request: KEYS its minute and day counters in turn, ARGV one delta each.
    private const string SettleAllScript = """
        for i = 1, #ARGV do
          local delta = tonumber(ARGV[i])
          if delta ~= 0 then
            for k = 2 * i - 1, 2 * i do
              if redis.call('EXISTS', KEYS[k]) == 1 then
                local v = redis.call('INCRBY', KEYS[k], delta)
                if v < 0 then redis.call('SET', KEYS[k], 0, 'KEEPTTL') end
              end
            end
          end
        end
        return 1
        """;

    private readonly RedisStore _redis;

    public RedisTokenBudgetStore(RedisStore redis) => _redis = redis;

    public async ValueTask<TokenReservationsResult> TryReserveAllAsync(IReadOnlyList<TokenRequest> requests, DateTimeOffset now)
    {
        var (seconds, minute, day) = BudgetWindows.Of(now);
        var keys = new RedisKey[requests.Count * 2];
        var values = new RedisValue[2 + (requests.Count * 3)];
        values[0] = BudgetWindows.MinuteSeconds * 2;
        values[1] = BudgetWindows.DaySeconds + 3600;
        for (var i = 0; i < requests.Count; i++)
        {
            var (budget, key, tokens) = requests[i];
            keys[2 * i] = Key(budget, key, "m", minute);
            keys[(2 * i) + 1] = Key(budget, key, "d", day);
            values[2 + (3 * i)] = tokens;
            values[3 + (3 * i)] = budget.PerMinute;
            values[4 + (3 * i)] = budget.PerDay;
        }

        var result = (RedisResult[])(await _redis.Database.ScriptEvaluateAsync(ReserveAllScript, keys, values))!;
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

        if (!changed)
        {
            return;
        }

        var keys = new RedisKey[reservations.Count * 2];
        var deltas = new RedisValue[reservations.Count];
        for (var i = 0; i < reservations.Count; i++)
        {
            var reservation = reservations[i];
            keys[2 * i] = Key(reservation.Budget, reservation.Key, "m", reservation.MinuteStart);
            keys[(2 * i) + 1] = Key(reservation.Budget, reservation.Key, "d", reservation.DayStart);
            deltas[i] = used - reservation.Tokens;
        }

        await _redis.Database.ScriptEvaluateAsync(SettleAllScript, keys, deltas);
    }

    private RedisKey Key(TokenBudget budget, LimitKey key, string window, long start) =>
        $"{_redis.KeyPrefix}tokens:{budget.Name}:{RedisKeys.Partition(key)}:{window}:{start}";
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
