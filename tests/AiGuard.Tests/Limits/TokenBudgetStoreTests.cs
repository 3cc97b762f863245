using AiGuard.Limits;

namespace AiGuard.Tests.Limits;

/// <summary>The in-process token budget store: calendar windows, all-or-nothing reservations, settlement.</summary>
public class TokenBudgetStoreTests
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 26, 12, 0, 10, TimeSpan.Zero);
    private static readonly TokenBudget Budget = new("b", PartitionFlags.Client, PerMinute: 100, PerDay: 250, DefaultMaxTokens: 10);
    private static readonly LimitKey Alice = new("alice", null, null, null);

    [Fact]
    public void A_reservation_takes_from_both_windows_or_from_neither()
    {
        var store = new InProcessTokenBudgetStore();

        var first = store.TryReserve(Budget, Alice, 80, Noon, out _);
        var refused = store.TryReserve(Budget, Alice, 30, Noon, out var retry);

        Assert.NotNull(first);
        Assert.Equal(20, first.RemainingMinute);
        Assert.Equal(170, first.RemainingDay);
        Assert.Null(refused);
        Assert.Equal(TimeSpan.FromSeconds(50), retry);
        // The refusal took nothing: exactly the 20 left still fit.
        Assert.NotNull(store.TryReserve(Budget, Alice, 20, Noon, out _));
    }

    [Fact]
    public void The_minute_window_resets_on_the_minute_and_the_day_window_holds()
    {
        var store = new InProcessTokenBudgetStore();
        store.TryReserve(Budget, Alice, 100, Noon, out _);

        var nextMinute = store.TryReserve(Budget, Alice, 100, Noon.AddSeconds(50), out _);
        var dayFull = store.TryReserve(Budget, Alice, 100, Noon.AddMinutes(2), out var retry);

        Assert.NotNull(nextMinute);
        Assert.Null(dayFull);
        // Until midnight UTC.
        Assert.Equal(new DateTimeOffset(2026, 11, 27, 0, 0, 0, TimeSpan.Zero) - Noon.AddMinutes(2), retry);
        Assert.NotNull(store.TryReserve(Budget, Alice, 100, new DateTimeOffset(2026, 11, 27, 0, 0, 0, TimeSpan.Zero), out _));
    }

    [Fact]
    public async Task Settling_corrects_the_windows_it_was_taken_from_only()
    {
        var store = new InProcessTokenBudgetStore();
        var reservation = store.TryReserve(Budget, Alice, 100, Noon, out _)!;

        // 30 of the 100 reserved were used.
        await store.SettleAllAsync([reservation], 30);
        Assert.NotNull(store.TryReserve(Budget, Alice, 70, Noon.AddSeconds(6), out _));
        Assert.Null(store.TryReserve(Budget, Alice, 1, Noon.AddSeconds(7), out _));

        // Settled after its minute has turned: the new minute keeps its count, the day is corrected.
        Assert.NotNull(store.TryReserve(Budget, Alice, 100, Noon.AddMinutes(1), out _));
        await store.SettleAllAsync([reservation], 50);
        Assert.Null(store.TryReserve(Budget, Alice, 1, Noon.AddMinutes(1), out _));
        Assert.NotNull(store.TryReserve(Budget, Alice, 100, Noon.AddMinutes(2), out _));
        Assert.Null(store.TryReserve(Budget, Alice, 1, Noon.AddMinutes(3), out _));
    }

    [Fact]
    public void Clients_have_counters_of_their_own()
    {
        var store = new InProcessTokenBudgetStore();
        store.TryReserve(Budget, Alice, 100, Noon, out _);

        Assert.NotNull(store.TryReserve(Budget, new LimitKey("bob", null, null, null), 100, Noon, out _));
        Assert.Null(store.TryReserve(Budget, Alice, 1, Noon, out _));
    }

    [Fact]
    public async Task Concurrent_reservations_never_exceed_the_budget()
    {
        var store = new InProcessTokenBudgetStore();
        var budget = Budget with { PerMinute = 5_000, PerDay = 0 };

        var granted = await Task.WhenAll(Enumerable.Range(0, 8).Select(t => Task.Run(() =>
            Enumerable.Range(0, 200).Count(i => store.TryReserve(budget, Alice, 7, Noon, out _) is not null))));

        Assert.Equal(5_000 / 7, granted.Sum());
    }
}
