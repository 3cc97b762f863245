using AiGuard.Limits;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

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

    /// <summary>The two budgets; with a lease, the Redis store serves them from blocks of that many tokens (the counts must not change).</summary>
    private static (TokenBudget Client, TokenBudget Tenant) Budgets(int lease) =>
        (Client with { LeaseTokens = lease }, Tenant with { LeaseTokens = lease });

    private static async Task<(ITokenBudgetStore Store, IAsyncDisposable? Owner)> StoreAsync(bool redis)
    {
        if (!redis)
        {
            return (new InProcessTokenBudgetStore(), null);
        }

        var server = await RedisServer.StartAsync();
        var store = Connect(server);
        return (new RedisTokenBudgetStore(store), new Owner(server, store));
    }

    /// <summary>A connection to the test's redis-server under a key prefix of its own.</summary>
    private static RedisStore Connect(RedisServer server, string? prefix = null, int timeoutMilliseconds = 250) =>
        new(new RedisOptions { Configuration = server.Configuration, KeyPrefix = prefix ?? $"contract-{Guid.NewGuid():N}:", TimeoutMilliseconds = timeoutMilliseconds }, NullLogger<RedisStore>.Instance);

    private static async Task<(long Minute, long Day)> LeftAsync(ITokenBudgetStore store, TokenBudget budget, LimitKey key)
    {
        var read = await store.TryReserveAllAsync([new TokenRequest(budget, key, 0)], Noon);
        return (read.Reservations![0].RemainingMinute, read.Reservations[0].RemainingDay);
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    [InlineData(true, 30)]
    public async Task A_budget_without_room_refuses_the_request_and_the_budgets_before_it_keep_everything(bool redis, int lease = 0)
    {
        var (client, tenant) = Budgets(lease);
        var (store, owner) = await StoreAsync(redis);
        await using var _ = owner;
        Assert.NotNull((await store.TryReserveAllAsync([new TokenRequest(tenant, Acme, 120)], Noon)).Reservations);

        // The client budget has room for 50, the tenant's day has 30 left: neither is taken.
        var refused = await store.TryReserveAllAsync([new TokenRequest(client, Alice, 50), new TokenRequest(tenant, Acme, 50)], Noon);

        Assert.Null(refused.Reservations);
        Assert.Equal(1, refused.Full);
        Assert.Equal(TimeSpan.FromSeconds(86_400 - (12 * 3600) - 10), refused.RetryAfter);
        Assert.Equal((100, 1000), await LeftAsync(store, client, Alice));
        Assert.Equal(30, (await LeftAsync(store, tenant, Acme)).Day);
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    [InlineData(true, 30)]
    public async Task Every_budget_is_taken_at_once_and_settled_at_once_to_what_was_used(bool redis, int lease = 0)
    {
        var (client, tenant) = Budgets(lease);
        var (store, owner) = await StoreAsync(redis);
        await using var _ = owner;

        var taken = await store.TryReserveAllAsync([new TokenRequest(client, Alice, 60), new TokenRequest(tenant, Acme, 70)], Noon);

        Assert.Equal(-1, taken.Full);
        Assert.Equal([40L, 940L], [taken.Reservations![0].RemainingMinute, taken.Reservations[0].RemainingDay]);
        Assert.Equal(80, taken.Reservations[1].RemainingDay);
        Assert.Equal(long.MaxValue, taken.Reservations[1].RemainingMinute);

        // The answer used 25 tokens: each budget keeps 25 of its reservation.
        await store.SettleAllAsync(taken.Reservations, 25);
        Assert.Equal((75, 975), await LeftAsync(store, client, Alice));
        Assert.Equal(125, (await LeftAsync(store, tenant, Acme)).Day);

        // A failed upstream gives everything back.
        var again = await store.TryReserveAllAsync([new TokenRequest(client, Alice, 60), new TokenRequest(tenant, Acme, 70)], Noon);
        await store.SettleAllAsync(again.Reservations!, 0);
        Assert.Equal((75, 975), await LeftAsync(store, client, Alice));
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    [InlineData(true, 30)]
    public async Task A_budget_named_twice_counts_both_reservations(bool redis, int lease = 0)
    {
        var (client, tenant) = Budgets(lease);
        var (store, owner) = await StoreAsync(redis);
        await using var _ = owner;

        var refused = await store.TryReserveAllAsync([new TokenRequest(client, Alice, 60), new TokenRequest(client, Alice, 60)], Noon);

        Assert.Null(refused.Reservations);
        Assert.Equal(1, refused.Full);
        Assert.Equal((100, 1000), await LeftAsync(store, client, Alice));
    }

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    [InlineData(true, 30)]
    public async Task A_settlement_not_waited_for_is_applied_before_what_is_asked_after_it(bool redis, int lease = 0)
    {
        var (client, tenant) = Budgets(lease);
        var (store, owner) = await StoreAsync(redis);
        await using var _ = owner;

        // Each round: 60 of 100 reserved, settled to 10 without waiting, then 85 asked at once:
        // it fits only if the settlement was applied first. Other clients' traffic keeps runs in flight.
        var noise = Enumerable.Range(0, 40).Select(i => store.TryReserveAllAsync([new TokenRequest(client, new LimitKey($"other-{i}", null, null, null), 1)], Noon).AsTask()).ToList();
        for (var round = 0; round < 20; round++)
        {
            var minute = Noon.AddMinutes(round);
            var taken = await store.TryReserveAllAsync([new TokenRequest(client, Alice, 60)], minute);
            noise.Add(store.TryReserveAllAsync([new TokenRequest(client, Acme, 1)], minute).AsTask());
            var settling = store.SettleAllAsync(taken.Reservations!, 10);
            var after = await store.TryReserveAllAsync([new TokenRequest(client, Alice, 85)], minute);

            Assert.NotNull(after.Reservations);
            await settling;
            await store.SettleAllAsync(after.Reservations, 0);
        }

        await Task.WhenAll(noise);
    }

    [SkippableFact]
    public async Task Settlements_not_waited_for_reach_redis_before_the_store_is_disposed()
    {
        await using var server = await RedisServer.StartAsync();
        var prefix = $"contract-{Guid.NewGuid():N}:";
        using (var connection = Connect(server, prefix))
        {
            var store = new RedisTokenBudgetStore(connection);
            var taken = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => store.TryReserveAllAsync([new TokenRequest(Client, Alice, 9)], Noon).AsTask()));

            // The last requests of a gateway that stops: their settlements are queued, nobody waits for them.
            foreach (var reservation in taken)
            {
                _ = store.SettleAllAsync(reservation.Reservations!, 1);
            }

            await store.DisposeAsync();
        }

        using var again = Connect(server, prefix);
        Assert.Equal((90, 990), await LeftAsync(new RedisTokenBudgetStore(again), Client, Alice));
    }

    [SkippableFact]
    public async Task Concurrent_requests_share_script_runs_in_redis_and_the_budget_stays_exact()
    {
        var (store, owner) = await StoreAsync(redis: true);
        await using var _ = owner;
        var redis = (RedisTokenBudgetStore)store;

        // 200 requests at once, 3 tokens each, against 100 a minute: 33 fit. Each also names the tenant's day budget.
        var attempts = Enumerable.Range(0, 200)
            .Select(_ => store.TryReserveAllAsync([new TokenRequest(Client, Alice, 3), new TokenRequest(Tenant, Acme, 1)], Noon).AsTask())
            .ToArray();
        var results = await Task.WhenAll(attempts);

        var admitted = results.Where(r => r.Reservations is not null).ToArray();
        Assert.Equal(33, admitted.Length);
        Assert.All(results.Where(r => r.Reservations is null), r => Assert.Equal(0, r.Full));
        Assert.Equal((1, 901), await LeftAsync(store, Client, Alice));
        Assert.Equal(150 - 33, (await LeftAsync(store, Tenant, Acme)).Day);

        // Runs went out while others waited: far fewer runs than requests, none larger than the cap.
        Assert.InRange(redis.Runs, 4, 100);

        // Settling all of them at once gives back what was not used, exactly.
        await Task.WhenAll(admitted.Select(r => store.SettleAllAsync(r.Reservations!, 1).AsTask()));
        Assert.Equal((100 - 33, 1000 - 33), await LeftAsync(store, Client, Alice));
    }

    [SkippableFact]
    public async Task Requests_queued_behind_a_run_that_fails_fail_too_and_the_store_recovers()
    {
        await using var server = await RedisServer.StartAsync();
        using var connection = Connect(server, timeoutMilliseconds: 200);
        var store = new RedisTokenBudgetStore(connection);
        Assert.NotNull((await store.TryReserveAllAsync([new TokenRequest(Client, Alice, 1)], Noon)).Reservations);

        await server.KillAsync();
        var attempts = Enumerable.Range(0, 50)
            .Select(_ => store.TryReserveAllAsync([new TokenRequest(Client, Alice, 1)], Noon).AsTask())
            .ToArray();
        foreach (var attempt in attempts)
        {
            await Assert.ThrowsAnyAsync<Exception>(() => attempt);
        }

        await server.RestartAsync();
        var deadline = DateTime.UtcNow.AddSeconds(20);
        TokenReservationsResult? again = null;
        while (again is null && DateTime.UtcNow < deadline)
        {
            try
            {
                again = await store.TryReserveAllAsync([new TokenRequest(Client, Alice, 1)], Noon);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                await Task.Delay(100);
            }
        }

        Assert.NotNull(again?.Reservations);
    }

    [SkippableFact]
    public async Task Every_counter_in_redis_expires_and_a_settlement_after_its_window_expired_leaves_nothing_behind()
    {
        await using var server = await RedisServer.StartAsync();
        var prefix = $"contract-{Guid.NewGuid():N}:";
        using var connection = Connect(server, prefix);
        var store = new RedisTokenBudgetStore(connection);
        // Scanned asynchronously: a blocking scan in a busy test run can starve the thread pool its answer needs.
        async Task<RedisKey[]> KeysAsync()
        {
            var found = new List<RedisKey>();
            await foreach (var key in connection.Servers.Single().KeysAsync(pattern: prefix + "*"))
            {
                found.Add(key);
            }

            return [.. found];
        }

        var taken = await store.TryReserveAllAsync([new TokenRequest(Client, Alice, 60), new TokenRequest(Tenant, Acme, 70)], Noon);
        await store.SettleAllAsync(taken.Reservations!, 30);
        Assert.Equal(4, (await KeysAsync()).Length);
        foreach (var key in await KeysAsync())
        {
            // Minute counters live 2 minutes, day counters a day and an hour: none lives for ever.
            Assert.InRange((await connection.Database.KeyTimeToLiveAsync(key))!.Value, TimeSpan.FromSeconds(1), TimeSpan.FromHours(25));
        }

        // The windows expire while a long answer is still being generated; its refund must not recreate them without a TTL.
        var late = await store.TryReserveAllAsync([new TokenRequest(Client, Alice, 10)], Noon);
        await connection.Database.KeyDeleteAsync(await KeysAsync());
        await store.SettleAllAsync(late.Reservations!, 0);
        Assert.Empty(await KeysAsync());

        // A refund down to nothing leaves no counter either (absent reads as 0).
        var all = await store.TryReserveAllAsync([new TokenRequest(Client, Alice, 10)], Noon);
        await store.SettleAllAsync(all.Reservations!, 0);
        Assert.Empty(await KeysAsync());
        Assert.Equal((100, 1000), await LeftAsync(store, Client, Alice));
        Assert.Empty(await KeysAsync());
    }

    [SkippableFact]
    public async Task A_leased_budget_serves_most_requests_and_their_refunds_without_a_script_run()
    {
        await using var server = await RedisServer.StartAsync();
        using var connection = Connect(server);
        var store = new RedisTokenBudgetStore(connection);
        var leased = Client with { LeaseTokens = 20 };

        // 40 requests of 2 tokens one after the other: a block of 20 (plus the request's own 2) serves 11.
        var taken = new List<TokenReservation[]>();
        for (var i = 0; i < 40; i++)
        {
            taken.Add((await store.TryReserveAllAsync([new TokenRequest(leased, Alice, 2)], Noon)).Reservations!);
        }

        Assert.InRange(store.Runs, 4, 5);
        Assert.Equal(100 - 80, taken[^1][0].RemainingMinute);

        // Each answer used 1 token: the refunds go back to the lease, not to Redis.
        var runs = store.Runs;
        foreach (var reservations in taken)
        {
            await store.SettleAllAsync(reservations, 1);
        }

        Assert.Equal(runs, store.Runs);
        Assert.Equal((100 - 40, 1000 - 40), await LeftAsync(store, leased, Alice));

        // Redis counts what the lease holds as taken: another replica sees only what is left outside it.
        using var other = Connect(server, connection.KeyPrefix);
        var (minute, _) = await LeftAsync(new RedisTokenBudgetStore(other), Client, Alice);
        Assert.Equal(100 - 40 - store.LeasedTokens, minute);
    }

    [SkippableFact]
    public async Task Concurrent_requests_on_a_leased_budget_admit_exactly_what_fits_on_one_replica()
    {
        await using var server = await RedisServer.StartAsync();
        using var connection = Connect(server);
        var store = new RedisTokenBudgetStore(connection);
        var leased = Client with { LeaseTokens = 30 };

        // 200 requests at once, 3 tokens each, against 100 a minute: 33 fit, whichever block served them.
        var results = await Task.WhenAll(Enumerable.Range(0, 200)
            .Select(_ => store.TryReserveAllAsync([new TokenRequest(leased, Alice, 3), new TokenRequest(Tenant, Acme, 1)], Noon).AsTask()));

        Assert.Equal(33, results.Count(r => r.Reservations is not null));
        Assert.Equal((1, 901), await LeftAsync(store, leased, Alice));
        Assert.Equal(150 - 33, (await LeftAsync(store, Tenant, Acme)).Day);
    }

    [SkippableFact]
    public async Task Two_replicas_with_leases_never_admit_more_than_the_budget_and_refuse_early_by_at_most_their_leases()
    {
        await using var server = await RedisServer.StartAsync();
        var prefix = $"contract-{Guid.NewGuid():N}:";
        using var first = Connect(server, prefix);
        using var second = Connect(server, prefix);
        var stores = new[] { new RedisTokenBudgetStore(first), new RedisTokenBudgetStore(second) };
        var leased = Client with { LeaseTokens = 10 };

        // Both replicas serve the same client at once, 1 token a request, until both refuse.
        var results = await Task.WhenAll(Enumerable.Range(0, 300)
            .Select(i => stores[i % 2].TryReserveAllAsync([new TokenRequest(leased, Alice, 1)], Noon).AsTask()));

        var admitted = results.Count(r => r.Reservations is not null);
        Assert.InRange(admitted, 100 - (2 * 10), 100);
        Assert.Equal(100 - admitted, stores.Sum(s => s.LeasedTokens));

    }

    [SkippableFact]
    public async Task What_another_replica_holds_is_refused_here_until_that_replica_stops_and_gives_it_back()
    {
        await using var server = await RedisServer.StartAsync();
        var prefix = $"contract-{Guid.NewGuid():N}:";
        using var first = Connect(server, prefix);
        using var second = Connect(server, prefix);
        var (holder, other) = (new RedisTokenBudgetStore(first), new RedisTokenBudgetStore(second));
        var leased = Client with { LeaseTokens = 10 };

        // The first replica serves one request and keeps a block of 10.
        Assert.NotNull((await holder.TryReserveAllAsync([new TokenRequest(leased, Alice, 1)], Noon)).Reservations);
        Assert.Equal(10, holder.LeasedTokens);

        // The other one admits exactly the rest: 100 - 1 - 10.
        var results = await Task.WhenAll(Enumerable.Range(0, 200)
            .Select(_ => other.TryReserveAllAsync([new TokenRequest(leased, Alice, 1)], Noon).AsTask()));
        Assert.Equal(89, results.Count(r => r.Reservations is not null));

        // The first replica stops: its block goes back, and the other admits exactly those 10.
        await holder.DisposeAsync();
        var more = 0;
        while (more <= 100 && (await other.TryReserveAllAsync([new TokenRequest(leased, Alice, 1)], Noon)).Reservations is not null)
        {
            more++;
        }

        Assert.Equal(10, more);
    }

    [SkippableFact]
    public async Task A_lease_of_a_minute_that_ended_gives_its_tokens_back_to_the_day()
    {
        await using var server = await RedisServer.StartAsync();
        using var connection = Connect(server);
        var time = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(Noon);
        var store = new RedisTokenBudgetStore(connection, time);
        var leased = Client with { LeaseTokens = 30 };

        Assert.NotNull((await store.TryReserveAllAsync([new TokenRequest(leased, Alice, 5)], time.GetUtcNow())).Reservations);
        Assert.Equal(30, store.LeasedTokens);

        // The sweep after the minute's end: the 30 unused tokens leave the lease and the day window.
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(0, store.LeasedTokens);
        var read = await store.TryReserveAllAsync([new TokenRequest(leased, Alice, 0)], time.GetUtcNow());
        Assert.Equal(1000 - 5, read.Reservations![0].RemainingDay);
        Assert.Equal(100, read.Reservations[0].RemainingMinute);

        // A lease whose windows moved on while requests kept coming gives its tokens back as well.
        await store.TryReserveAllAsync([new TokenRequest(leased, Alice, 5)], time.GetUtcNow());
        await store.TryReserveAllAsync([new TokenRequest(leased, Alice, 5)], time.GetUtcNow().AddMinutes(1));
        var day = await store.TryReserveAllAsync([new TokenRequest(leased, Alice, 0)], time.GetUtcNow().AddMinutes(1));
        Assert.Equal(1000 - 15, day.Reservations![0].RemainingDay);
        Assert.Equal(30, store.LeasedTokens);
        using var other = Connect(server, connection.KeyPrefix);
        var seen = await new RedisTokenBudgetStore(other).TryReserveAllAsync([new TokenRequest(Client, Alice, 0)], time.GetUtcNow().AddMinutes(1));
        Assert.Equal(1000 - 15 - 30, seen.Reservations![0].RemainingDay);
    }

    [SkippableFact]
    public async Task A_request_that_fails_in_redis_gives_what_its_lease_lent_back()
    {
        await using var server = await RedisServer.StartAsync();
        using var connection = Connect(server, timeoutMilliseconds: 200);
        var store = new RedisTokenBudgetStore(connection);
        var leased = Client with { LeaseTokens = 10 };
        Assert.NotNull((await store.TryReserveAllAsync([new TokenRequest(leased, Alice, 1)], Noon)).Reservations);
        Assert.Equal(10, store.LeasedTokens);

        // 15 tokens: 10 from the lease, 5 from Redis, which is gone.
        await server.KillAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => store.TryReserveAllAsync([new TokenRequest(leased, Alice, 15)], Noon).AsTask());
        Assert.Equal(10, store.LeasedTokens);

        // What the lease holds is still served without Redis.
        Assert.NotNull((await store.TryReserveAllAsync([new TokenRequest(leased, Alice, 10)], Noon)).Reservations);
        Assert.Equal(0, store.LeasedTokens);
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
