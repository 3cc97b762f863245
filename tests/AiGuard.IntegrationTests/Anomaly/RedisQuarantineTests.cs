using System.Net;
using System.Text;
using AiGuard.Anomaly;
using AiGuard.Identity;
using AiGuard.IntegrationTests.Gateway;
using AiGuard.IntegrationTests.Limits;
using Microsoft.Extensions.DependencyInjection;

namespace AiGuard.IntegrationTests.Anomaly;

/// <summary>A quarantine decided on one replica reaches the others through a real redis-server, and survives into a replica started later.</summary>
public sealed class RedisQuarantineTests
{
    private static Dictionary<string, string?> Settings(string upstream, GeneratedApiKey key, RedisServer redis, string prefix)
    {
        var settings = GatewaySettings.ForDemo(upstream).WithKey(key, 0, "suspect");
        settings["AiGuard:Redis:Configuration"] = redis.Configuration;
        settings["AiGuard:Redis:KeyPrefix"] = prefix;
        settings["AiGuard:Anomaly:Policies:watch:Actions:0:Threshold"] = "0.99";
        settings["AiGuard:Anomaly:Policies:watch:Actions:0:Action"] = "Quarantine";
        settings["AiGuard:Policies:tensors:Anomaly"] = "watch";
        return settings;
    }

    private static async Task<HttpStatusCode> ChatAsync(GatewayUnderTest gateway, GeneratedApiKey key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Headers = { { "Authorization", "Bearer " + key.Key } },
            Content = new StringContent("""{"model":"demo-chat","messages":[{"role":"user","content":"hello"}]}""", Encoding.UTF8, "application/json"),
        };
        using var response = await gateway.Client.SendAsync(request);
        return response.StatusCode;
    }

    [SkippableFact]
    public async Task A_quarantine_reaches_every_replica_and_a_replica_started_later()
    {
        await using var redis = await RedisServer.StartAsync();
        await using var upstream = await DemoUpstream.StartAsync();
        var key = ApiKeyFormat.Generate();
        var settings = Settings(upstream.Address, key, redis, $"test-{Guid.NewGuid():N}:");
        await using var one = await GatewayUnderTest.StartAsync(settings);
        await using var two = await GatewayUnderTest.StartAsync(settings);
        var engineOne = one.App.Services.GetRequiredService<AnomalyEngine>();
        var engineTwo = two.App.Services.GetRequiredService<AnomalyEngine>();
        await engineOne.Replication!.Ready;
        await engineTwo.Replication!.Ready;
        Assert.Equal(HttpStatusCode.OK, await ChatAsync(two, key));

        engineOne.Quarantine.Add("suspect", DateTimeOffset.UtcNow.AddMinutes(10), "score 0.995");

        await RateLimitTests.WaitUntil(() => engineTwo.Quarantine.IsQuarantined("suspect", out _));
        Assert.Equal(HttpStatusCode.Forbidden, await ChatAsync(two, key));
        Assert.Equal(HttpStatusCode.Forbidden, await ChatAsync(one, key));

        await using var three = await GatewayUnderTest.StartAsync(settings);
        await three.App.Services.GetRequiredService<AnomalyEngine>().Replication!.Ready;
        Assert.Equal(HttpStatusCode.Forbidden, await ChatAsync(three, key));
    }
}
