using AiGuard.Limits;
using Microsoft.Extensions.Logging.Abstractions;

namespace AiGuard.IntegrationTests.Limits;

/// <summary>
/// What every token budget store does with the budgets of one request, in process and in a real
/// redis-server alike: all of them reserved or none, one settlement for all.
/// </summary>
public class TokenBudgetStoreContractTests
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 26, 12, 0, 10, TimeSpan.Zero);
    private static readonly TokenBudget Client = new("client", PartitionFlags.Client, PerMinute: 100, PerDay: 1000, DefaultMaxTokens: 10);
    private static readonly TokenBudget Tenant = new("tenant", PartitionFlags.Tenant, PerMinute: 0, PerDay: 150, DefaultMaxTokens: 10);
    private static readonly LimitKey Alice = new("alice", null, null, null);
    private static readonly LimitKey Acme = new(null, "acme", null, null);

    private static async Task<(ITokenBudgetStore Store, IAsyncDisposable? Owner)> StoreAsync(bool redis)
    {
        if (!redis)
        {
            return (new InProcessTokenBudgetStore(), null);
        }

        var server = await RedisServer.StartAsync();
        var store = new RedisStore(new RedisOptions { Configuration = server.Configuration, KeyPrefix = $"contract-{Guid.NewGuid():N}:" }, NullLogger<RedisStore>.Instance);
        return (new RedisTokenBudgetStore(store), new Owner(server, store));
    }

    private static async Task<(long Minute, long Day)> LeftAsync(ITokenBudgetStore store, TokenBudget budget, LimitKey key)
    {
        var read = await store.TryReserveAllAsync([new TokenRequest(budget, key, 0)], Noon);
        return (read.Reservations![0].RemainingMinute, read.Reservations[0].RemainingDay);
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_budget_without_room_refuses_the_request_and_the_budgets_before_it_keep_everything(bool redis)
    {
        var (store, owner) = await StoreAsync(redis);
        await using var _ = owner;
        Assert.NotNull((await store.TryReserveAllAsync([new TokenRequest(Tenant, Acme, 120)], Noon)).Reservations);

        // The client budget has room for 50, the tenant's day has 30 left: neither is taken.
        var refused = await store.TryReserveAllAsync([new TokenRequest(Client, Alice, 50), new TokenRequest(Tenant, Acme, 50)], Noon);

        Assert.Null(refused.Reservations);
        Assert.Equal(1, refused.Full);
        Assert.Equal(TimeSpan.FromSeconds(86_400 - (12 * 3600) - 10), refused.RetryAfter);
        Assert.Equal((100, 1000), await LeftAsync(store, Client, Alice));
        Assert.Equal(30, (await LeftAsync(store, Tenant, Acme)).Day);
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Every_budget_is_taken_at_once_and_settled_at_once_to_what_was_used(bool redis)
    {
        var (store, owner) = await StoreAsync(redis);
        await using var _ = owner;

        var taken = await store.TryReserveAllAsync([new TokenRequest(Client, Alice, 60), new TokenRequest(Tenant, Acme, 70)], Noon);

        Assert.Equal(-1, taken.Full);
        Assert.Equal([40L, 940L], [taken.Reservations![0].RemainingMinute, taken.Reservations[0].RemainingDay]);
        Assert.Equal(80, taken.Reservations[1].RemainingDay);
        Assert.Equal(long.MaxValue, taken.Reservations[1].RemainingMinute);

        // The answer used 25 tokens: each budget keeps 25 of its reservation.
        await store.SettleAllAsync(taken.Reservations, 25);
        Assert.Equal((75, 975), await LeftAsync(store, Client, Alice));
        Assert.Equal(125, (await LeftAsync(store, Tenant, Acme)).Day);

        // A failed upstream gives everything back.
        var again = await store.TryReserveAllAsync([new TokenRequest(Client, Alice, 60), new TokenRequest(Tenant, Acme, 70)], Noon);
        await store.SettleAllAsync(again.Reservations!, 0);
        Assert.Equal((75, 975), await LeftAsync(store, Client, Alice));
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_budget_named_twice_counts_both_reservations(bool redis)
    {
        var (store, owner) = await StoreAsync(redis);
        await using var _ = owner;

        var refused = await store.TryReserveAllAsync([new TokenRequest(Client, Alice, 60), new TokenRequest(Client, Alice, 60)], Noon);

        Assert.Null(refused.Reservations);
        Assert.Equal(1, refused.Full);
        Assert.Equal((100, 1000), await LeftAsync(store, Client, Alice));
    }

    private sealed class Owner(RedisServer server, RedisStore store) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            store.Dispose();
            await server.DisposeAsync();
        }
    }
}
