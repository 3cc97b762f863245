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
        var budgets = new RedisTokenBudgetStore(store, Clock());
        return (budgets, new Owner(server, store, budgets));
    }

    /// <summary>The clock of a store's lease sweep: the tests' own time, so a sweep never sees their minute as over.</summary>
    private static Microsoft.Extensions.Time.Testing.FakeTimeProvider Clock() => new(Noon);

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
            var store = new RedisTokenBudgetStore(connection, Clock());
            var taken = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => store.TryReserveAllAsync([new TokenRequest(Client, Alice, 9)], Noon).AsTask()));

            // The last requests of a gateway that stops: their settlements are queued, nobody waits for them.
            foreach (var reservation in taken)
            {
                _ = store.SettleAllAsync(reservation.Reservations!, 1);
            }

            await store.DisposeAsync();
        }

        using var again = Connect(server, prefix);
        Assert.Equal((90, 990), await LeftAsync(new RedisTokenBudgetStore(again, Clock()), Client, Alice));
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
        var store = new RedisTokenBudgetStore(connection, Clock());
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
        var store = new RedisTokenBudgetStore(connection, Clock());
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
        var store = new RedisTokenBudgetStore(connection, Clock());
        var leased = Client with { LeaseTokens = 20 };

        // 40 requests of 2 tokens one after the other, each answer using 1: a block of 20 (plus the
        // request's own 2) serves about 20 of them, and the refunds go back to the lease, not to Redis.
        for (var i = 0; i < 40; i++)
        {
            var taken = await store.TryReserveAllAsync([new TokenRequest(leased, Alice, 2)], Noon);
            Assert.Equal(100 - i - 2, taken.Reservations![0].RemainingMinute);
            await store.SettleAllAsync(taken.Reservations, 1);
        }

        Assert.InRange(store.Runs, 2, 4);
        Assert.Equal((100 - 40, 1000 - 40), await LeftAsync(store, leased, Alice));

        // Redis counts what the lease holds as taken: another replica sees only what is left outside it.
        using var other = Connect(server, connection.KeyPrefix);
        var (minute, _) = await LeftAsync(new RedisTokenBudgetStore(other, Clock()), Client, Alice);
        Assert.Equal(100 - 40 - store.LeasedTokens, minute);
    }

    [SkippableFact]
    public async Task Concurrent_requests_on_a_leased_budget_admit_exactly_what_fits_on_one_replica()
    {
        await using var server = await RedisServer.StartAsync();
        using var connection = Connect(server);
        var store = new RedisTokenBudgetStore(connection, Clock());
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
        var stores = new[] { new RedisTokenBudgetStore(first, Clock()), new RedisTokenBudgetStore(second, Clock()) };
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
        var (holder, other) = (new RedisTokenBudgetStore(first, Clock()), new RedisTokenBudgetStore(second, Clock()));
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
        var seen = await new RedisTokenBudgetStore(other, Clock()).TryReserveAllAsync([new TokenRequest(Client, Alice, 0)], time.GetUtcNow().AddMinutes(1));
        Assert.Equal(1000 - 15 - 30, seen.Reservations![0].RemainingDay);
    }

    [SkippableFact]
    public async Task A_request_that_fails_in_redis_gives_what_its_lease_lent_back()
    {
        await using var server = await RedisServer.StartAsync();
        using var connection = Connect(server, timeoutMilliseconds: 200);
        var store = new RedisTokenBudgetStore(connection, Clock());
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

    [SkippableTheory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Requests_of_any_size_on_a_leased_budget_admit_what_fits_on_one_replica_to_within_one_block(bool withTenant)
    {
        await using var server = await RedisServer.StartAsync();
        for (var round = 0; round < 10; round++)
        {
            using var connection = Connect(server, timeoutMilliseconds: 5000);
            await using var store = new RedisTokenBudgetStore(connection, Clock());
            var leased = Client with { LeaseTokens = 10 };
            var tenantBudget = Tenant with { PerDay = 60 };
            var random = new Random(round);

            // 1-7 tokens each; with the tenant's budget (not leased), half the requests belong to a tenant that is full.
            var asks = Enumerable.Range(0, 200).Select(i => (Tokens: random.Next(1, 8), Tenant: withTenant && i % 2 == 0 ? "full" : "open")).ToArray();
            if (withTenant)
            {
                Assert.NotNull((await store.TryReserveAllAsync([new TokenRequest(tenantBudget, new LimitKey(null, "full", null, null), 60)], Noon)).Reservations);
            }

            var results = await Task.WhenAll(asks.Select(ask => store.TryReserveAllAsync(
                withTenant
                    ? [new TokenRequest(leased, Alice, ask.Tokens), new TokenRequest(tenantBudget, new LimitKey(null, ask.Tenant, null, null), 1)]
                    : [new TokenRequest(leased, Alice, ask.Tokens)],
                Noon).AsTask()));

            // Whatever the order, never more than the budget, and what a refused request would have
            // fitted in is at most a part of one block, on its way back to the lease when it was refused.
            var (left, _) = await LeftAsync(store, leased, Alice);
            var refusedByClient = asks.Where((_, i) => results[i].Reservations is null && results[i].Full == 0).Select(a => a.Tokens).ToArray();
            Assert.NotEmpty(refusedByClient);
            Assert.InRange(left, 0, leased.LeaseTokens - 1);
            Assert.Equal(100 - left, asks.Where((_, i) => results[i].Reservations is not null).Sum(a => a.Tokens));
        }
    }

    [SkippableFact]
    public async Task Refunds_fill_a_lease_up_to_two_blocks_and_the_rest_goes_back_to_every_replica()
    {
        await using var server = await RedisServer.StartAsync();
        var prefix = $"contract-{Guid.NewGuid():N}:";
        using var first = Connect(server, prefix);
        using var second = Connect(server, prefix);
        await using var one = new RedisTokenBudgetStore(first, Clock());
        await using var two = new RedisTokenBudgetStore(second, Clock());
        var leased = Client with { LeaseTokens = 5 };

        // The first replica reserves 90 (and a block of 5) and the answer uses nothing: it keeps two blocks, the rest goes back to Redis.
        var taken = await one.TryReserveAllAsync([new TokenRequest(leased, Alice, 90)], Noon);
        await one.SettleAllAsync(taken.Reservations!, 0);
        Assert.Equal(10, one.LeasedTokens);

        Assert.NotNull((await two.TryReserveAllAsync([new TokenRequest(leased, Alice, 90)], Noon)).Reservations);
        Assert.Null((await two.TryReserveAllAsync([new TokenRequest(leased, Alice, 1)], Noon)).Reservations);
    }

    [SkippableFact]
    public async Task A_block_still_on_its_way_when_the_store_stops_goes_back_as_well()
    {
        await using var server = await RedisServer.StartAsync();
        for (var round = 0; round < 10; round++)
        {
            var prefix = $"contract-{Guid.NewGuid():N}:";
            using (var connection = Connect(server, prefix))
            {
                var store = new RedisTokenBudgetStore(connection, Clock());
                var leased = Client with { LeaseTokens = 30 };
                var reserving = store.TryReserveAllAsync([new TokenRequest(leased, Alice, 5)], Noon).AsTask();
                await store.DisposeAsync();
                Assert.NotNull((await reserving).Reservations);
            }

            using var again = Connect(server, prefix);
            await using var reader = new RedisTokenBudgetStore(again, Clock());
            Assert.Equal((95, 995), await LeftAsync(reader, Client, Alice));
        }
    }

    [SkippableFact]
    public async Task Reservations_report_what_the_windows_have_left_counting_the_lease_as_free()
    {
        await using var server = await RedisServer.StartAsync();
        using var connection = Connect(server);
        await using var store = new RedisTokenBudgetStore(connection, Clock());
        var leased = Client with { LeaseTokens = 30 };

        // Two first requests at once: one brings a block, the other may go to Redis without one.
        var both = await Task.WhenAll(Enumerable.Range(0, 2).Select(_ => store.TryReserveAllAsync([new TokenRequest(leased, Alice, 5)], Noon).AsTask()));

        // Each reports at most what is left, and at least what Redis shows without the block that may still be on its way.
        Assert.All(both, r => Assert.InRange(r.Reservations![0].RemainingMinute, 100 - 40, 95));
        Assert.All(both, r => Assert.InRange(r.Reservations![0].RemainingDay, 1000 - 40, 995));
        Assert.Equal((90, 990), await LeftAsync(store, leased, Alice));
    }

    [SkippableFact]
    public async Task Under_racing_reservations_and_refunds_a_replica_holds_at_most_two_blocks_and_every_token_is_accounted_for()
    {
        await using var server = await RedisServer.StartAsync();
        for (var round = 0; round < 5; round++)
        {
            var prefix = $"contract-{Guid.NewGuid():N}:";
            using var connection = Connect(server, prefix, timeoutMilliseconds: 5000);
            await using var store = new RedisTokenBudgetStore(connection, Clock());
            var leased = Client with { LeaseTokens = 5 };
            var random = new Random(round);
            var asks = Enumerable.Range(0, 300).Select(_ => (Tokens: random.Next(1, 8), Used: random.Next(0, 8))).ToArray();

            // Each request reserves, then settles to what it used (at most what it reserved), all at
            // once, while what the replica holds is sampled.
            var most = 0L;
            using var stop = new CancellationTokenSource();
            var sampling = Task.Run(async () =>
            {
                while (!stop.IsCancellationRequested)
                {
                    most = Math.Max(most, store.LeasedTokens);
                    await Task.Yield();
                }
            });
            var used = await Task.WhenAll(asks.Select(async ask =>
            {
                var taken = await store.TryReserveAllAsync([new TokenRequest(leased, Alice, ask.Tokens)], Noon);
                if (taken.Reservations is null)
                {
                    return 0;
                }

                var spent = Math.Min(ask.Used, ask.Tokens);
                await store.SettleAllAsync(taken.Reservations, spent);
                return spent;
            }));

            await stop.CancelAsync();
            await sampling;
            Assert.InRange(most, 0, 2 * leased.LeaseTokens);
            using var other = Connect(server, prefix);
            await using var reader = new RedisTokenBudgetStore(other, Clock());
            var (minute, day) = await LeftAsync(reader, Client, Alice);
            Assert.Equal(100 - used.Sum() - store.LeasedTokens, minute);
            Assert.Equal(1000 - used.Sum() - store.LeasedTokens, day);
        }
    }

    private sealed class Owner(RedisServer server, RedisStore store, RedisTokenBudgetStore budgets) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await budgets.DisposeAsync();
            store.Dispose();
            await server.DisposeAsync();
        }
    }
}
