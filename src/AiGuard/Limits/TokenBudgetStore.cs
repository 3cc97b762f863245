namespace AiGuard.Limits;

/// <summary>Where token budgets are counted: reserve before forwarding, settle after the answer.</summary>
/// <remarks>
/// Both windows are calendar windows in UTC (the current minute, the current day), so every
/// replica and every restart agrees on them. A reservation is taken from both windows at once
/// or not at all.
/// </remarks>
public interface ITokenBudgetStore
{
    /// <summary>
    /// Takes each request's tokens from its budget's current windows, all of them or none (one
    /// step: one script operation with Redis, or none for budgets served from a replica's
    /// block, <see cref="TokenBudget.LeaseTokens"/>); when one has no room, says which and when to retry.
    /// Asking for 0 tokens reads what the windows have left.
    /// </summary>
    /// <exception cref="Exception">The store cannot be reached: the stage's fail mode decides.</exception>
    ValueTask<TokenReservationsResult> TryReserveAllAsync(IReadOnlyList<TokenRequest> requests, DateTimeOffset now);

    /// <summary>Settles every reservation of one request to the <paramref name="used"/> tokens it turned out to need (0 gives all back), in one step.</summary>
    /// <remarks>Reads <paramref name="reservations"/> before it returns, so the caller may reuse the list while the settlement is still on its way.</remarks>
    ValueTask SettleAllAsync(IReadOnlyList<TokenReservation> reservations, long used);
}

/// <summary>Tokens one request asks of one budget.</summary>
public readonly record struct TokenRequest(TokenBudget Budget, LimitKey Key, long Tokens);

/// <summary>The reservations of one request (in the order asked), or the index of the budget without room and when to retry.</summary>
public readonly record struct TokenReservationsResult(TokenReservation[]? Reservations, int Full, TimeSpan RetryAfter);

/// <summary>The calendar windows of a moment, in Unix seconds.</summary>
internal static class BudgetWindows
{
    public const long MinuteSeconds = 60;
    public const long DaySeconds = 86_400;

    public static (long Seconds, long Minute, long Day) Of(DateTimeOffset now)
    {
        var seconds = now.ToUnixTimeSeconds();
        return (seconds, seconds - (seconds % MinuteSeconds), seconds - (seconds % DaySeconds));
    }

    public static TimeSpan RetryAfter(bool dayFull, long seconds, long minute, long day) =>
        TimeSpan.FromSeconds(dayFull ? day + DaySeconds - seconds : minute + MinuteSeconds - seconds);
}

/// <summary>Tokens taken from one budget for one request, and the windows they were taken from.</summary>
public sealed record TokenReservation(TokenBudget Budget, LimitKey Key, long Tokens, long MinuteStart, long DayStart)
{
    /// <summary>What the minute and day windows have left after this reservation.</summary>
    public long RemainingMinute { get; init; }

    public long RemainingDay { get; init; }
}

/// <summary>A configured budget, resolved.</summary>
/// <param name="LeaseTokens">With Redis, the block of tokens a replica takes at once and hands out locally (0: none).</param>
public sealed record TokenBudget(string Name, PartitionFlags PartitionBy, long PerMinute, long PerDay, int DefaultMaxTokens, long LeaseTokens = 0)
{
    public static TokenBudget From(string name, TokenBudgetOptions options)
    {
        var by = RateLimitDefinition.From(new RateLimitPolicyOptions { PartitionBy = options.PartitionBy }).PartitionBy;
        return new TokenBudget(name, by, options.PerMinute, options.PerDay, options.DefaultMaxTokens, options.LeaseTokens);
    }
}

/// <summary>Token budgets counted in this process: exact for one gateway; lost on restart.</summary>
public sealed class InProcessTokenBudgetStore : ITokenBudgetStore
{
    private readonly Lock _lock = new();
    private readonly Dictionary<(string Budget, LimitKey Key), Counter> _counters = [];
    private long _lastSweepDay;

    public ValueTask<TokenReservationsResult> TryReserveAllAsync(IReadOnlyList<TokenRequest> requests, DateTimeOffset now)
    {
        var reservations = new TokenReservation[requests.Count];
        lock (_lock)
        {
            for (var i = 0; i < reservations.Length; i++)
            {
                var (budget, key, tokens) = requests[i];
                if (ReserveLocked(budget, key, tokens, now, out var retryAfter) is not { } reservation)
                {
                    // None or all: what the budgets before this one took goes back.
                    for (var j = 0; j < i; j++)
                    {
                        AdjustLocked(reservations[j], -reservations[j].Tokens);
                    }

                    return new(new TokenReservationsResult(null, i, retryAfter));
                }

                reservations[i] = reservation;
            }
        }

        return new(new TokenReservationsResult(reservations, -1, TimeSpan.Zero));
    }

    public ValueTask SettleAllAsync(IReadOnlyList<TokenReservation> reservations, long used)
    {
        lock (_lock)
        {
            foreach (var reservation in reservations)
            {
                AdjustLocked(reservation, used - reservation.Tokens);
            }
        }

        return default;
    }

    public TokenReservation? TryReserve(TokenBudget budget, LimitKey key, long tokens, DateTimeOffset now, out TimeSpan retryAfter)
    {
        lock (_lock)
        {
            return ReserveLocked(budget, key, tokens, now, out retryAfter);
        }
    }

    private TokenReservation? ReserveLocked(TokenBudget budget, LimitKey key, long tokens, DateTimeOffset now, out TimeSpan retryAfter)
    {
        var (seconds, minute, day) = BudgetWindows.Of(now);
        Sweep(day);
        if (!_counters.TryGetValue((budget.Name, key), out var counter))
        {
            counter = new Counter();
            _counters[(budget.Name, key)] = counter;
        }

        counter.Advance(minute, day);
        var minuteFull = budget.PerMinute > 0 && counter.MinuteUsed + tokens > budget.PerMinute;
        var dayFull = budget.PerDay > 0 && counter.DayUsed + tokens > budget.PerDay;
        if (minuteFull || dayFull)
        {
            retryAfter = BudgetWindows.RetryAfter(dayFull, seconds, minute, day);
            return null;
        }

        counter.MinuteUsed += tokens;
        counter.DayUsed += tokens;
        retryAfter = TimeSpan.Zero;
        return new TokenReservation(budget, key, tokens, minute, day)
        {
            RemainingMinute = budget.PerMinute > 0 ? budget.PerMinute - counter.MinuteUsed : long.MaxValue,
            RemainingDay = budget.PerDay > 0 ? budget.PerDay - counter.DayUsed : long.MaxValue,
        };
    }

    private void AdjustLocked(TokenReservation reservation, long delta)
    {
        if (delta == 0 || !_counters.TryGetValue((reservation.Budget.Name, reservation.Key), out var counter))
        {
            return;
        }

        if (counter.MinuteStart == reservation.MinuteStart)
        {
            counter.MinuteUsed = Math.Max(0, counter.MinuteUsed + delta);
        }

        if (counter.DayStart == reservation.DayStart)
        {
            counter.DayUsed = Math.Max(0, counter.DayUsed + delta);
        }
    }

    /// <summary>Counters of an earlier day hold nothing any more: dropped once per day, so memory follows the clients of the day.</summary>
    private void Sweep(long day)
    {
        if (day == _lastSweepDay)
        {
            return;
        }

        _lastSweepDay = day;
        foreach (var (key, counter) in _counters.ToArray())
        {
            if (counter.DayStart < day)
            {
                _counters.Remove(key);
            }
        }
    }

    private sealed class Counter
    {
        public long MinuteStart { get; private set; } = -1;

        public long DayStart { get; private set; } = -1;

        public long MinuteUsed { get; set; }

        public long DayUsed { get; set; }

        public void Advance(long minute, long day)
        {
            if (minute != MinuteStart)
            {
                MinuteStart = minute;
                MinuteUsed = 0;
            }

            if (day != DayStart)
            {
                DayStart = day;
                DayUsed = 0;
            }
        }
    }
}
