using System.Net;
using System.Text;
using AiGuard.Anomaly;
using AiGuard.IntegrationTests.Gateway;
using AiGuard.IntegrationTests.Limits;
using Microsoft.Extensions.DependencyInjection;

namespace AiGuard.IntegrationTests.Admin;

/// <summary>The admin API of replicas sharing a real redis-server: readiness follows Redis, quarantines reach every replica.</summary>
public sealed class AdminRedisTests
{
    private static Action<Dictionary<string, string?>> WithRedis(RedisServer redis, string prefix) => s =>
    {
        s["AiGuard:Redis:Configuration"] = redis.Configuration;
        s["AiGuard:Redis:KeyPrefix"] = prefix;
    };

    [SkippableFact]
    public async Task Readiness_goes_not_ready_when_Redis_stops_and_ready_again_when_it_returns()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var upstream = await DemoUpstream.StartAsync();
        await using var gateway = await AdminGateway.StartAsync(upstream.Address, WithRedis(redis, $"test-{Guid.NewGuid():N}:"));

        async Task<(HttpStatusCode Status, bool RedisOk)> ReadyAsync()
        {
            using var response = await gateway.Anonymous.GetAsync("/readyz");
            var body = await AdminGateway.JsonAsync(response);
            var check = body.GetProperty("checks").EnumerateArray().Single(c => c.GetProperty("name").GetString() == "redis");
            Assert.Equal(response.StatusCode == HttpStatusCode.OK ? "ready" : "not_ready", body.GetProperty("status").GetString());
            return (response.StatusCode, check.GetProperty("ok").GetBoolean());
        }

        Assert.Equal((HttpStatusCode.OK, true), await ReadyAsync());
        await redis.KillAsync();
        Assert.Equal((HttpStatusCode.ServiceUnavailable, false), await ReadyAsync());

        // Liveness does not depend on Redis: the process is alive, just not ready.
        using (var live = await gateway.Anonymous.GetAsync("/healthz"))
        {
            Assert.Equal(HttpStatusCode.OK, live.StatusCode);
        }

        await redis.RestartAsync();
        // The client reconnects on its own schedule: polled, bounded, until the probe says ready.
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        while ((await ReadyAsync()).Status != HttpStatusCode.OK)
        {
            await Task.Delay(50, deadline.Token);
        }
    }

    [SkippableFact]
    public async Task A_quarantine_added_on_one_replica_refuses_the_client_on_another_and_its_removal_reaches_it_too()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var upstream = await DemoUpstream.StartAsync();
        var prefix = $"test-{Guid.NewGuid():N}:";
        await using var a = await AdminGateway.StartAsync(upstream.Address, WithRedis(redis, prefix));
        await using var b = await AdminGateway.StartAsync(upstream.Address, WithRedis(redis, prefix), adminKey: a.AdminKey);
        await a.Gateway.App.Services.GetRequiredService<AnomalyEngine>().Replication!.Ready;
        var engineB = b.Gateway.App.Services.GetRequiredService<AnomalyEngine>();
        await engineB.Replication!.Ready;

        // B's model key is a different key of the same client id, 'tester'.
        using (var before = await b.ChatAsync(b.ModelKey))
        {
            Assert.Equal(HttpStatusCode.OK, before.StatusCode);
        }

        using var added = await a.Admin.PutAsync("/admin/v1/quarantine/tester", new StringContent("""{"for":"10m","reason":"shared"}""", Encoding.UTF8, "application/json"));
        Assert.Equal(HttpStatusCode.OK, added.StatusCode);
        await RateLimitTests.WaitUntil(() => engineB.Quarantine.IsQuarantined("tester", out _));
        using (var refused = await b.ChatAsync(b.ModelKey))
        {
            Assert.Equal(HttpStatusCode.Forbidden, refused.StatusCode);
        }

        var listed = await AdminGateway.JsonAsync(await b.Admin.GetAsync("/admin/v1/quarantine"));
        Assert.True(listed.GetProperty("sharedThroughRedis").GetBoolean());
        Assert.Equal("tester", Assert.Single(listed.GetProperty("quarantines").EnumerateArray()).GetProperty("client").GetString());

        using var removed = await a.Admin.DeleteAsync("/admin/v1/quarantine/tester");
        Assert.Equal(HttpStatusCode.OK, removed.StatusCode);
        await RateLimitTests.WaitUntil(() => !engineB.Quarantine.IsQuarantined("tester", out _));
        using (var served = await b.ChatAsync(b.ModelKey))
        {
            Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        }

        // A replica started after the removal does not find the quarantine in Redis either.
        await using var c = await AdminGateway.StartAsync(upstream.Address, WithRedis(redis, prefix));
        await c.Gateway.App.Services.GetRequiredService<AnomalyEngine>().Replication!.Ready;
        using var fresh = await c.ChatAsync(c.ModelKey);
        Assert.Equal(HttpStatusCode.OK, fresh.StatusCode);
    }
}
