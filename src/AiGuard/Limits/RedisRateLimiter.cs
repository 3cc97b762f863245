using System.Threading.RateLimiting;
using StackExchange.Redis;

namespace AiGuard.Limits;

/// <summary>
/// One partition of a request limit, counted in Redis so that every replica shares it: the same
/// four algorithms as in process, each one atomic Lua script per request on the Redis server.
/// </summary>
/// <remarks>
/// Windows are aligned to the Unix epoch (not to a limiter's first use) so replicas agree on
/// them; the time is the gateway's, so replicas' clocks must agree (NTP). A concurrency permit
/// carries an expiry (a replica that dies cannot hold it forever). Keys expire on their own.
/// </remarks>
public sealed class RedisRateLimiter : RateLimiter
{
    // KEYS: counter of the current window. ARGV: permits, limit, window ms.
    private const string FixedWindowScript = """
        local used = tonumber(redis.call('GET', KEYS[1]) or '0')
        local permits = tonumber(ARGV[1])
        local limit = tonumber(ARGV[2])
        if permits == 0 then return {used < limit and 1 or 0, used} end
        if used + permits > limit then return {0, used} end
        used = redis.call('INCRBY', KEYS[1], permits)
        if used == permits then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
        return {1, used}
        """;

    // KEYS: hash of segment -> count. ARGV: permits, limit, current segment, segments, TTL ms.
    // Returns {acquired, counts oldest..newest}.
    private const string SlidingWindowScript = """
        local permits = tonumber(ARGV[1])
        local limit = tonumber(ARGV[2])
        local current = tonumber(ARGV[3])
        local segments = tonumber(ARGV[4])
        local all = redis.call('HGETALL', KEYS[1])
        local counts = {}
        for i = 1, segments do counts[i] = 0 end
        local total = 0
        for i = 1, #all, 2 do
          local segment = tonumber(all[i])
          local age = current - segment
          if age >= segments or age < 0 then
            redis.call('HDEL', KEYS[1], all[i])
          else
            local n = tonumber(all[i + 1])
            counts[segments - age] = n
            total = total + n
          end
        end
        local acquired = 0
        if (permits == 0 and total < limit) or (permits > 0 and total + permits <= limit) then
          acquired = 1
          if permits > 0 then
            redis.call('HINCRBY', KEYS[1], current, permits)
            counts[segments] = counts[segments] + permits
            redis.call('PEXPIRE', KEYS[1], ARGV[5])
          end
        end
        table.insert(counts, 1, acquired)
        return counts
        """;

    // KEYS: hash {tokens, start}. ARGV: permits, limit, tokens per period, period ms, now ms, TTL ms.
    // Returns {acquired, tokens, period start}.
    private const string TokenBucketScript = """
        local permits = tonumber(ARGV[1])
        local limit = tonumber(ARGV[2])
        local perPeriod = tonumber(ARGV[3])
        local period = tonumber(ARGV[4])
        local now = tonumber(ARGV[5])
        local state = redis.call('HMGET', KEYS[1], 'tokens', 'start')
        local tokens = tonumber(state[1]) or limit
        local start = tonumber(state[2]) or now
        local periods = math.floor((now - start) / period)
        if periods > 0 then
          tokens = math.min(limit, tokens + periods * perPeriod)
          start = start + periods * period
        end
        local acquired = 0
        if (permits == 0 and tokens > 0) or (permits > 0 and tokens >= permits) then
          acquired = 1
          if permits > 0 then
            if tokens == limit then start = now end
            tokens = tokens - permits
          end
        end
        redis.call('HSET', KEYS[1], 'tokens', tokens, 'start', start)
        redis.call('PEXPIRE', KEYS[1], ARGV[6])
        return {acquired, tokens, start}
        """;

    // KEYS: counter of the current window. ARGV: permits wanted now, limit, window ms, block size.
    // Takes a block of up to ARGV[4] permits (at least the permits wanted) for the replica to hand out.
    private const string FixedWindowBlockScript = """
        local used = tonumber(redis.call('GET', KEYS[1]) or '0')
        local limit = tonumber(ARGV[2])
        local take = math.min(tonumber(ARGV[4]), limit - used)
        if take < tonumber(ARGV[1]) or take <= 0 then return {0, used} end
        used = redis.call('INCRBY', KEYS[1], take)
        if used == take then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
        return {take, used}
        """;

    // KEYS: sorted set of permit id -> expiry. ARGV: id, limit, now ms, permit expiry ms.
    private const string ConcurrencyScript = """
        redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[3])
        local held = redis.call('ZCARD', KEYS[1])
        if held >= tonumber(ARGV[2]) then return {0, held} end
        redis.call('ZADD', KEYS[1], ARGV[3] + ARGV[4], ARGV[1])
        redis.call('PEXPIRE', KEYS[1], ARGV[4])
        return {1, held + 1}
        """;

    // KEYS: the counter a permit was taken from. ARGV: permits.
    private const string ReturnScript = """
        if redis.call('EXISTS', KEYS[1]) == 1 then
          local v = redis.call('DECRBY', KEYS[1], ARGV[1])
          if v < 0 then redis.call('SET', KEYS[1], 0, 'KEEPTTL') end
        end
        return 1
        """;

    /// <summary>How long a concurrency permit lives if its replica never releases it.</summary>
    public static readonly TimeSpan ConcurrencyPermitExpiry = TimeSpan.FromMinutes(10);

    private readonly RedisStore _redis;
    private readonly RateLimitDefinition _limit;
    private readonly TimeProvider _time;
    private readonly string _key;
    private readonly Lock _block = new();
    private long _lastUsed;

    // A block of fixed-window permits this replica took and hands out locally.
    private long _blockWindow = -1;
    private long _blockLeft;
    private long _blockUsedAtFetch;
    private bool _blockExhausted;
    private Task? _fetch;

    public RedisRateLimiter(RedisStore redis, string name, RateLimitDefinition limit, LimitKey key, TimeProvider time)
    {
        _redis = redis;
        _limit = limit;
        _time = time;
        _key = $"{redis.KeyPrefix}rate:{name}:{RedisKeys.Partition(key)}";
        _lastUsed = time.GetTimestamp();
    }

    /// <summary>Idle once unused for a window: the state lives in Redis, this object can go.</summary>
    public override TimeSpan? IdleDuration
    {
        get
        {
            var idle = _time.GetElapsedTime(Volatile.Read(ref _lastUsed));
            return idle > TimeSpan.FromMinutes(1) && idle > _limit.Window ? idle : null;
        }
    }

    public override RateLimiterStatistics? GetStatistics() => null;

    protected override RateLimitLease AttemptAcquireCore(int permitCount) =>
        AcquireAsyncCore(permitCount, CancellationToken.None).AsTask().GetAwaiter().GetResult();

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken)
    {
        Volatile.Write(ref _lastUsed, _time.GetTimestamp());
        var nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds();
        switch (_limit.Kind)
        {
            case RateLimitKind.FixedWindow when _limit.LeaseSize > 1 && permitCount > 0:
                return await AcquireFromBlockAsync(permitCount, nowMs);

            case RateLimitKind.FixedWindow:
                {
                    var window = Milliseconds(_limit.Window);
                    var start = nowMs - (nowMs % window);
                    var key = $"{_key}:{start}";
                    var result = (RedisResult[])(await _redis.EvaluateAsync(RedisMetrics.RateLimit, FixedWindowScript, [key], [permitCount, _limit.PermitLimit, window * 2]))!;
                    var acquired = (long)result[0] == 1;
                    var reset = TimeSpan.FromMilliseconds(start + window - nowMs);
                    return new LimitLease(acquired && permitCount > 0 ? new Taken(this, key) : null, acquired, acquired ? permitCount : 0, 0, _limit.PermitLimit - (long)result[1], reset, acquired ? TimeSpan.Zero : reset);
                }

            case RateLimitKind.SlidingWindow:
                {
                    var segment = Math.Max(1, Milliseconds(_limit.Window) / _limit.SegmentsPerWindow);
                    var current = nowMs / segment;
                    var result = (RedisResult[])(await _redis.EvaluateAsync(RedisMetrics.RateLimit, SlidingWindowScript, [(RedisKey)_key], [permitCount, _limit.PermitLimit, current, _limit.SegmentsPerWindow, segment * _limit.SegmentsPerWindow * 2]))!;
                    var acquired = (long)result[0] == 1;
                    var counts = result.Skip(1).Select(r => (long)r).ToArray();
                    var total = counts.Sum();
                    var segmentStart = current * segment;
                    TimeSpan LeavesAt(int oldestFirstIndex) => TimeSpan.FromMilliseconds(segmentStart + ((oldestFirstIndex + 1) * segment) - nowMs);
                    var newest = Array.FindLastIndex(counts, c => c > 0);
                    var reset = newest < 0 ? TimeSpan.Zero : LeavesAt(newest);
                    var retry = reset;
                    if (!acquired)
                    {
                        var needed = Math.Max(permitCount, 1) - (_limit.PermitLimit - total);
                        for (var i = 0; i < counts.Length; i++)
                        {
                            needed -= counts[i];
                            if (needed <= 0)
                            {
                                retry = LeavesAt(i);
                                break;
                            }
                        }
                    }

                    return new LimitLease(null, acquired, acquired ? permitCount : 0, 0, _limit.PermitLimit - total, reset, acquired ? TimeSpan.Zero : retry);
                }

            case RateLimitKind.TokenBucket:
                {
                    var period = Milliseconds(_limit.ReplenishmentPeriod);
                    var result = (RedisResult[])(await _redis.EvaluateAsync(RedisMetrics.RateLimit, TokenBucketScript, [(RedisKey)_key], [permitCount, _limit.PermitLimit, _limit.TokensPerPeriod, period, nowMs, period * ((_limit.PermitLimit / _limit.TokensPerPeriod) + 2)]))!;
                    var acquired = (long)result[0] == 1;
                    var tokens = (long)result[1];
                    var start = (long)result[2];
                    TimeSpan Until(long missing) => missing <= 0 ? TimeSpan.Zero : TimeSpan.FromMilliseconds(Math.Max(0, start + (((missing + _limit.TokensPerPeriod - 1) / _limit.TokensPerPeriod) * period) - nowMs));
                    return new LimitLease(null, acquired, acquired ? permitCount : 0, 0, tokens, Until(_limit.PermitLimit - tokens), acquired ? TimeSpan.Zero : Until(Math.Max(permitCount, 1) - tokens));
                }

            default:
                {
                    var id = Guid.NewGuid().ToString("N");
                    var result = (RedisResult[])(await _redis.EvaluateAsync(RedisMetrics.RateLimit, ConcurrencyScript, [(RedisKey)_key], [id, _limit.PermitLimit, nowMs, (long)ConcurrencyPermitExpiry.TotalMilliseconds]))!;
                    var acquired = (long)result[0] == 1;
                    return new ConcurrencyPermit(acquired ? this : null, id, acquired, _limit.PermitLimit - (long)result[1]);
                }
        }
    }

    /// <summary>A fixed-window permit from the replica's block, fetching a new block when it is empty.</summary>
    /// <remarks>
    /// One fetch at a time per partition: requests that find the block empty wait for the same
    /// round trip and then share its permits, so a burst does not take a block per request. Once
    /// Redis has no permit left in a window, refusals need no round trip until the window ends.
    /// </remarks>
    private async ValueTask<RateLimitLease> AcquireFromBlockAsync(int permits, long nowMs)
    {
        var window = Milliseconds(_limit.Window);
        var start = nowMs - (nowMs % window);
        var reset = TimeSpan.FromMilliseconds(start + window - nowMs);
        while (true)
        {
            Task fetch;
            lock (_block)
            {
                if (_blockWindow != start)
                {
                    // A new window: what was left of the old block is gone with it.
                    (_blockWindow, _blockLeft, _blockUsedAtFetch, _blockExhausted, _fetch) = (start, 0, 0, false, null);
                }

                if (_blockLeft >= permits)
                {
                    _blockLeft -= permits;
                    return new LimitLease(new BlockReturn(this, start), true, permits, 0, _limit.PermitLimit - _blockUsedAtFetch + _blockLeft, reset, TimeSpan.Zero);
                }

                if (_blockExhausted)
                {
                    return new LimitLease(null, false, 0, 0, _blockLeft, reset, reset);
                }

                fetch = _fetch ??= FetchBlockAsync(start, window);
            }

            await fetch;
            lock (_block)
            {
                // Also when the fetch finished before it was stored: never wait on a spent fetch twice.
                if (_fetch == fetch)
                {
                    _fetch = null;
                }
            }
        }
    }

    /// <summary>Takes a block from Redis and adds it to this window's block (or marks the window exhausted), exactly once.</summary>
    private async Task FetchBlockAsync(long start, long window)
    {
        try
        {
            var result = (RedisResult[])(await _redis.EvaluateAsync(RedisMetrics.RateLimitBlock, FixedWindowBlockScript, [(RedisKey)$"{_key}:{start}"], [1, _limit.PermitLimit, window * 2, _limit.LeaseSize]))!;
            var (taken, used) = ((long)result[0], (long)result[1]);
            lock (_block)
            {
                if (_blockWindow == start)
                {
                    if (taken <= 0)
                    {
                        _blockExhausted = true;
                    }
                    else
                    {
                        _blockLeft += taken;
                        _blockUsedAtFetch = used;
                    }
                }
            }
        }
        finally
        {
            lock (_block)
            {
                if (_blockWindow == start)
                {
                    _fetch = null;
                }
            }
        }
    }

    private void ReturnToBlock(long window, int permits)
    {
        lock (_block)
        {
            if (_blockWindow == window)
            {
                _blockLeft += permits;
            }
        }
    }

    private static long Milliseconds(TimeSpan span) => Math.Max(1, (long)span.TotalMilliseconds);

    private void Release(string id) =>
        _ = _redis.Database.SortedSetRemoveAsync(_key, id, CommandFlags.FireAndForget);

    private void GiveBack(string key, int permits) =>
        _ = _redis.Database.ScriptEvaluateAsync(ReturnScript, [(RedisKey)key], [permits], CommandFlags.FireAndForget);

    /// <summary>A permit from the replica's block goes back into the block.</summary>
    private sealed class BlockReturn(RedisRateLimiter limiter, long window) : ILeaseOwner
    {
        public void Return(int permits, long takenAt) => limiter.ReturnToBlock(window, permits);
    }

    /// <summary>The window counter a fixed-window permit was taken from, to give it back there.</summary>
    private sealed class Taken(RedisRateLimiter limiter, string key) : ILeaseOwner
    {
        public void Return(int permits, long takenAt) => limiter.GiveBack(key, permits);
    }

    /// <summary>A concurrency permit in Redis, released when the request ends.</summary>
    private sealed class ConcurrencyPermit(RedisRateLimiter? owner, string id, bool acquired, long remaining) : RateLimitLease, IReportsRemaining
    {
        private RedisRateLimiter? _owner = owner;

        public override bool IsAcquired { get; } = acquired;

        public long Remaining { get; } = Math.Max(0, remaining);

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            Interlocked.Exchange(ref _owner, null)?.Release(id);
            base.Dispose(disposing);
        }
    }
}
