using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AiGuard.Identity;
using AiGuard.IntegrationTests.Gateway;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AiGuard.IntegrationTests.Limits;

/// <summary>Request limits counted in a real redis-server and shared by two gateway replicas.</summary>
public class RedisRateLimitTests
{
    private const string Chat = """{"model":"demo-chat","messages":[{"role":"user","content":"hello"}]}""";

    private static Dictionary<string, string?> Settings(string upstream, GeneratedApiKey key, RedisServer redis, params (string Setting, string Value)[] limit)
    {
        var settings = GatewaySettings.ForDemo(upstream).WithKey(key, 0, "shared");
        settings["AiGuard:Redis:Configuration"] = redis.Configuration;
        settings["AiGuard:Redis:KeyPrefix"] = $"test-{Guid.NewGuid():N}:";
        foreach (var (setting, value) in limit)
        {
            settings[$"AiGuard:RateLimits:Policies:shared:{setting}"] = value;
        }

        settings["AiGuard:Policies:llm:RateLimits:0"] = "shared";
        return settings;
    }

    private static Task<GatewayUnderTest> StartAsync(Dictionary<string, string?> settings, FakeTimeProvider time) =>
        GatewayUnderTest.StartAsync(settings, builder => builder.Services.AddSingleton<TimeProvider>(time));

    private static HttpRequestMessage Request(GeneratedApiKey key) => new(HttpMethod.Post, "/v1/chat/completions")
    {
        Headers = { { "Authorization", "Bearer " + key.Key } },
        Content = new StringContent(Chat, Encoding.UTF8, "application/json"),
    };

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : string.Empty;

    [SkippableFact]
    public async Task A_fixed_window_of_thirty_shared_by_two_replicas_admits_exactly_thirty()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var upstream = await DemoUpstream.StartAsync();
        var key = ApiKeyFormat.Generate();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 8, 0, 0, TimeSpan.Zero));
        var settings = Settings(upstream.Address, key, redis, ("PermitLimit", "30"), ("Window", "00:01:00"));
        await using var one = await StartAsync(settings, time);
        await using var two = await StartAsync(settings, time);

        var statuses = await RateLimitTests.FireAtReplicasAsync(one, two, 100, () => Request(key));

        Assert.Equal(30, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(70, statuses.Count(s => s == HttpStatusCode.TooManyRequests));

        // The next window, on either replica.
        time.Advance(TimeSpan.FromMinutes(1));
        using var next = await two.Client.SendAsync(Request(key));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal("\"shared\";r=29;t=60", Header(next, "RateLimit"));
    }

    [SkippableFact]
    public async Task Leased_blocks_never_admit_more_than_the_limit_and_refuse_early_by_at_most_the_unused_blocks()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var upstream = await DemoUpstream.StartAsync();
        var key = ApiKeyFormat.Generate();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 8, 0, 0, TimeSpan.Zero));
        var settings = Settings(upstream.Address, key, redis, ("PermitLimit", "30"), ("Window", "00:01:00"), ("LeaseSize", "5"));
        await using var one = await StartAsync(settings, time);
        await using var two = await StartAsync(settings, time);

        var statuses = await RateLimitTests.FireAtReplicasAsync(one, two, 100, () => Request(key));
        var admitted = statuses.Count(s => s == HttpStatusCode.OK);
        // One replica alone, in the next window, uses every block to the end: exactly the limit.
        time.Advance(TimeSpan.FromMinutes(1));
        var alone = 0;
        for (var i = 0; i < 35; i++)
        {
            using var response = await one.Client.SendAsync(Request(key));
            alone += response.StatusCode == HttpStatusCode.OK ? 1 : 0;
        }

        Assert.InRange(admitted, 30 - (2 * 4), 30);
        Assert.Equal(100 - admitted, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        Assert.Equal(30, alone);
    }

    [SkippableFact]
    public async Task A_concurrency_limit_counts_requests_in_flight_on_every_replica()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var upstream = await BlockingUpstream.StartAsync();
        var key = ApiKeyFormat.Generate();
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var settings = Settings(upstream.Address, key, redis, ("Kind", "Concurrency"), ("PermitLimit", "2"));
        await using var one = await StartAsync(settings, time);
        await using var two = await StartAsync(settings, time);

        var held = new[] { one.Client.SendAsync(Request(key)), two.Client.SendAsync(Request(key)) };
        await RateLimitTests.WaitUntil(() => upstream.Arrived == 2);
        using var third = await one.Client.SendAsync(Request(key));
        upstream.Release();
        foreach (var answer in await Task.WhenAll(held))
        {
            Assert.Equal(HttpStatusCode.OK, answer.StatusCode);
            answer.Dispose();
        }

        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        // Released permits are free again (the release is sent without waiting: poll briefly).
        var after = HttpStatusCode.TooManyRequests;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (after != HttpStatusCode.OK)
        {
            using var again = await two.Client.SendAsync(Request(key), deadline.Token);
            after = again.StatusCode;
        }
    }

    [SkippableFact]
    public async Task A_sliding_window_in_Redis_refuses_until_the_oldest_segment_leaves()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var upstream = await DemoUpstream.StartAsync();
        var key = ApiKeyFormat.Generate();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 8, 0, 0, TimeSpan.Zero));
        await using var gateway = await StartAsync(Settings(upstream.Address, key, redis, ("Kind", "SlidingWindow"), ("PermitLimit", "2"), ("Window", "00:01:00"), ("SegmentsPerWindow", "4")), time);

        using var first = await gateway.Client.SendAsync(Request(key));
        time.Advance(TimeSpan.FromSeconds(30));
        using var second = await gateway.Client.SendAsync(Request(key));
        using var refused = await gateway.Client.SendAsync(Request(key));
        time.Advance(TimeSpan.FromSeconds(30));
        using var later = await gateway.Client.SendAsync(Request(key));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("30", Header(refused, "Retry-After"));
        Assert.Equal(HttpStatusCode.OK, later.StatusCode);
    }

    [SkippableFact]
    public async Task A_token_bucket_in_Redis_refills_at_its_rate()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var upstream = await DemoUpstream.StartAsync();
        var key = ApiKeyFormat.Generate();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 8, 0, 0, TimeSpan.Zero));
        await using var gateway = await StartAsync(Settings(upstream.Address, key, redis, ("Kind", "TokenBucket"), ("PermitLimit", "2"), ("TokensPerPeriod", "1"), ("ReplenishmentPeriod", "00:00:10")), time);

        using var first = await gateway.Client.SendAsync(Request(key));
        using var second = await gateway.Client.SendAsync(Request(key));
        using var refused = await gateway.Client.SendAsync(Request(key));
        time.Advance(TimeSpan.FromSeconds(10));
        using var refilled = await gateway.Client.SendAsync(Request(key));
        using var emptyAgain = await gateway.Client.SendAsync(Request(key));

        Assert.Equal("\"shared\";r=1;t=10", Header(first, "RateLimit"));
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("10", Header(refused, "Retry-After"));
        Assert.Equal(HttpStatusCode.OK, refilled.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, emptyAgain.StatusCode);
    }

    [SkippableFact]
    public async Task With_Redis_gone_a_limit_fails_closed_with_503()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var upstream = await DemoUpstream.StartAsync();
        var key = ApiKeyFormat.Generate();
        await using var gateway = await StartAsync(Settings(upstream.Address, key, redis, ("PermitLimit", "100"), ("Window", "00:01:00")), new FakeTimeProvider(DateTimeOffset.UtcNow));

        await redis.KillAsync();
        using var response = await gateway.Client.SendAsync(Request(key));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("guard_unavailable", problem.GetProperty("code").GetString());
        Assert.Equal("rate_limit", (await gateway.Audit.WaitForAsync(problem.GetProperty("incidentId").GetString()!)).Stage);
    }
}
