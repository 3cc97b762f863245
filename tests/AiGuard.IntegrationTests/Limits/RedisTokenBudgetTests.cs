using System.Diagnostics;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AiGuard.Identity;
using AiGuard.IntegrationTests.Gateway;
using AiGuard.Limits;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AiGuard.IntegrationTests.Limits;

/// <summary>Token budgets shared through a real redis-server by two gateway replicas; Redis killed and restarted mid-run.</summary>
public class RedisTokenBudgetTests
{
    private const int MaxTokens = 20;
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 8, 0, 30, TimeSpan.Zero);
    private static readonly int Reservation = MaxTokens + 3 + 3 + new PromptTokenCounter().Tokenizer("o200k_base").CountTokens("hello");

    private static Dictionary<string, string?> Settings(string upstream, GeneratedApiKey key, RedisServer redis, long perMinute, bool failOpen = false)
    {
        var settings = GatewaySettings.ForDemo(upstream).WithKey(key, 0, "shared");
        settings["AiGuard:Redis:Configuration"] = redis.Configuration;
        settings["AiGuard:Redis:KeyPrefix"] = $"test-{Guid.NewGuid():N}:";
        settings["AiGuard:TokenBudgets:Policies:tokens:PerMinute"] = perMinute.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["AiGuard:Policies:llm:TokenBudgets:0"] = "tokens";
        if (failOpen)
        {
            settings["AiGuard:Policies:llm:FailOpen:0"] = "token_budget";
        }

        return settings;
    }

    private static Task<GatewayUnderTest> StartAsync(Dictionary<string, string?> settings) =>
        GatewayUnderTest.StartAsync(settings, builder => builder.Services.AddSingleton<TimeProvider>(new FakeTimeProvider(Now)));

    private static HttpRequestMessage Chat(GeneratedApiKey key) => new(HttpMethod.Post, "/v1/chat/completions")
    {
        Headers = { { "Authorization", "Bearer " + key.Key } },
        Content = new StringContent($$"""{"model":"demo-chat","max_tokens":{{MaxTokens}},"messages":[{"role":"user","content":"hello"}]}""", Encoding.UTF8, "application/json"),
    };

    [SkippableFact]
    public async Task A_budget_for_thirty_split_across_two_replicas_admits_exactly_thirty_and_survives_a_restart()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var upstream = await BlockingUpstream.StartAsync();
        var key = ApiKeyFormat.Generate();
        var settings = Settings(upstream.Address, key, redis, perMinute: 30 * Reservation);
        // Counted, not timed: a loaded test run must not turn a slow Redis answer into a 503 here.
        settings["AiGuard:Redis:TimeoutMilliseconds"] = "2000";
        var one = await StartAsync(settings);
        var two = await StartAsync(settings);

        var statuses = await RateLimitTests.FireAtReplicasAsync(one, two, 100, () => Chat(key), async () =>
        {
            await RateLimitTests.WaitUntil(() => upstream.Arrived == 30 && one.Audit.Events.Count + two.Audit.Events.Count == 70);
            upstream.Release();
        });

        Assert.Equal(30, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(70, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        // Both replicas admitted some: the budget is one, not one per replica.
        Assert.True(one.Audit.Events.Count < 70 && two.Audit.Events.Count < 70);

        // The upstream reported no usage, so the reservations stand; a new replica sees them.
        await one.DisposeAsync();
        await two.DisposeAsync();
        await using var three = await StartAsync(settings);
        using var afterRestart = await three.Client.SendAsync(Chat(key));
        Assert.Equal(HttpStatusCode.TooManyRequests, afterRestart.StatusCode);
    }

    [SkippableFact]
    public async Task A_replica_admits_what_another_replica_does_not_hold_in_its_lease_and_gets_the_lease_when_that_replica_stops()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var upstream = await BlockingUpstream.StartAsync();
        var key = ApiKeyFormat.Generate();
        var settings = Settings(upstream.Address, key, redis, perMinute: 30 * Reservation);
        settings["AiGuard:TokenBudgets:Policies:tokens:LeaseTokens"] = (3 * Reservation).ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["AiGuard:Redis:TimeoutMilliseconds"] = "2000";
        var one = await StartAsync(settings);
        var two = await StartAsync(settings);

        // One request through the first replica, still in flight: it took its reservation and a block of 3 more.
        var first = one.Client.SendAsync(Chat(key));
        await RateLimitTests.WaitUntil(() => upstream.Arrived == 1);

        // The second replica admits exactly what is left outside that block: 30 - 1 - 3.
        var statuses = await RateLimitTests.FireAtReplicasAsync(two, two, 100, () => Chat(key), async () =>
        {
            await RateLimitTests.WaitUntil(() => upstream.Arrived == 27 && two.Audit.Events.Count == 74);
            upstream.Release();
        });
        Assert.Equal(26, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.All(statuses.Where(s => s != HttpStatusCode.OK), s => Assert.Equal(HttpStatusCode.TooManyRequests, s));
        using (var firstResponse = await first)
        {
            Assert.Equal(HttpStatusCode.OK, firstResponse.StatusCode);
        }

        // Stopped, both give back what their leases held: a new replica admits exactly the first one's block.
        await one.DisposeAsync();
        await two.DisposeAsync();
        await using var three = await StartAsync(settings);
        var more = 0;
        while (more <= 30)
        {
            using var response = await three.Client.SendAsync(Chat(key));
            if (response.StatusCode != HttpStatusCode.OK)
            {
                Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
                break;
            }

            more++;
        }

        Assert.Equal(3, more);
    }

    [SkippableFact]
    public async Task With_Redis_gone_a_budget_fails_closed_with_503_quickly_and_recovers_when_Redis_returns()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var upstream = await DemoUpstream.StartAsync();
        var key = ApiKeyFormat.Generate();
        await using var gateway = await StartAsync(Settings(upstream.Address, key, redis, perMinute: 100_000));
        using var before = await gateway.Client.SendAsync(Chat(key));
        Assert.Equal(HttpStatusCode.OK, before.StatusCode);

        await redis.KillAsync();
        var clock = Stopwatch.StartNew();
        using var during = await gateway.Client.SendAsync(Chat(key));
        var waited = clock.Elapsed;

        Assert.Equal(HttpStatusCode.ServiceUnavailable, during.StatusCode);
        Assert.True(waited < TimeSpan.FromSeconds(2), $"a request waited {waited} for a dead Redis");
        var problem = await during.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("guard_unavailable", problem.GetProperty("code").GetString());
        var audit = await gateway.Audit.WaitForAsync(problem.GetProperty("incidentId").GetString()!);
        Assert.Equal("token_budget", audit.Stage);

        await redis.RestartAsync();
        var recovered = HttpStatusCode.ServiceUnavailable;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (recovered != HttpStatusCode.OK)
        {
            await Task.Delay(100, deadline.Token);
            using var again = await gateway.Client.SendAsync(Chat(key), deadline.Token);
            recovered = again.StatusCode;
        }

        Assert.Equal(HttpStatusCode.OK, recovered);
    }

    [SkippableFact]
    public async Task A_budget_configured_to_fail_open_lets_requests_through_audited_while_Redis_is_gone()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var upstream = await DemoUpstream.StartAsync();
        var key = ApiKeyFormat.Generate();
        await using var gateway = await StartAsync(Settings(upstream.Address, key, redis, perMinute: 100_000, failOpen: true));

        await redis.KillAsync();
        using var response = await gateway.Client.SendAsync(Chat(key));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await RateLimitTests.WaitUntil(() => gateway.Audit.Events.Any(e => e.Code == "guard_failed_open"));
        var audit = Assert.Single(gateway.Audit.Events);
        Assert.Equal("token_budget", audit.Stage);
    }
}
