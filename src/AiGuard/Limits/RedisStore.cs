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

/// <summary>Token budgets shared by every replica through Redis: one atomic script reserves from both windows or from neither.</summary>
public sealed class RedisTokenBudgetStore : ITokenBudgetStore
{
    // KEYS: minute counter, day counter. ARGV: tokens, per-minute, per-day, minute TTL, day TTL.
    private const string ReserveScript = """
        local m = tonumber(redis.call('GET', KEYS[1]) or '0')
        local d = tonumber(redis.call('GET', KEYS[2]) or '0')
        local tokens = tonumber(ARGV[1])
        local perMinute = tonumber(ARGV[2])
        local perDay = tonumber(ARGV[3])
        if perDay > 0 and d + tokens > perDay then return {-2, m, d} end
        if perMinute > 0 and m + tokens > perMinute then return {-1, m, d} end
        m = redis.call('INCRBY', KEYS[1], tokens)
        redis.call('EXPIRE', KEYS[1], ARGV[4])
        d = redis.call('INCRBY', KEYS[2], tokens)
        redis.call('EXPIRE', KEYS[2], ARGV[5])
        return {1, m, d}
        """;

    // KEYS: the reservation's minute and day counters. ARGV: delta. A counter that has expired stays gone.
    private const string AdjustScript = """
        for i = 1, 2 do
          if redis.call('EXISTS', KEYS[i]) == 1 then
            local v = redis.call('INCRBY', KEYS[i], ARGV[1])
            if v < 0 then redis.call('SET', KEYS[i], 0, 'KEEPTTL') end
          end
        end
        return 1
        """;

    private readonly RedisStore _redis;

    public RedisTokenBudgetStore(RedisStore redis) => _redis = redis;

    public async ValueTask<TokenReservationResult> TryReserveAsync(TokenBudget budget, LimitKey key, long tokens, DateTimeOffset now)
    {
        var (seconds, minute, day) = BudgetWindows.Of(now);
        var result = (RedisResult[])(await _redis.Database.ScriptEvaluateAsync(
            ReserveScript,
            [Key(budget, key, "m", minute), Key(budget, key, "d", day)],
            [tokens, budget.PerMinute, budget.PerDay, BudgetWindows.MinuteSeconds * 2, BudgetWindows.DaySeconds + 3600]))!;
        var outcome = (long)result[0];
        if (outcome < 0)
        {
            return new TokenReservationResult(null, BudgetWindows.RetryAfter(outcome == -2, seconds, minute, day));
        }

        return new TokenReservationResult(
            new TokenReservation(budget, key, tokens, minute, day)
            {
                RemainingMinute = budget.PerMinute > 0 ? budget.PerMinute - (long)result[1] : long.MaxValue,
                RemainingDay = budget.PerDay > 0 ? budget.PerDay - (long)result[2] : long.MaxValue,
            },
            TimeSpan.Zero);
    }

    public async ValueTask AdjustAsync(TokenReservation reservation, long delta, DateTimeOffset now)
    {
        if (delta == 0)
        {
            return;
        }

        await _redis.Database.ScriptEvaluateAsync(
            AdjustScript,
            [Key(reservation.Budget, reservation.Key, "m", reservation.MinuteStart), Key(reservation.Budget, reservation.Key, "d", reservation.DayStart)],
            [delta]);
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
