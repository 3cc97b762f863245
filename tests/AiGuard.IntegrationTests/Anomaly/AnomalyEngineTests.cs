using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AiGuard.Identity;
using AiGuard.IntegrationTests.Gateway;
using AiGuard.Training.Simulation;
using AiGuard.Training.Simulation.Tensor;
using AiGuard.Training.Simulation.Victims;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AiGuard.IntegrationTests.Anomaly;

/// <summary>
/// The engine in a running gateway with the shipped model: simulated attack tools and benign
/// clients send real Open Inference v2 requests over loopback to the real demo model; the
/// gateway's clock follows the simulators' own timing.
/// </summary>
public sealed class AnomalyEngineTests
{
    private static readonly DateTimeOffset Start = new(2026, 11, 26, 8, 0, 0, TimeSpan.Zero);

    private static Dictionary<string, string?> Settings(string upstream, GeneratedApiKey attacker, GeneratedApiKey benign, params (double Threshold, string Action)[] actions)
    {
        var settings = GatewaySettings.ForDemo(upstream).WithKey(attacker, 0, "attacker").WithKey(benign, 1, "benign");
        for (var i = 0; i < actions.Length; i++)
        {
            settings[$"AiGuard:Anomaly:Policies:watch:Actions:{i}:Threshold"] = actions[i].Threshold.ToString(System.Globalization.CultureInfo.InvariantCulture);
            settings[$"AiGuard:Anomaly:Policies:watch:Actions:{i}:Action"] = actions[i].Action;
        }

        // The demo classifier's reference of legitimate inputs, as appsettings.Demo.json names it.
        settings["AiGuard:Anomaly:References:demo-classifier"] = "models/demo-classifier.reference.json";
        settings["AiGuard:Policies:tensors:Anomaly"] = "watch";
        settings["AiGuard:Policies:tf:Anomaly"] = "watch";
        return settings;
    }

    private static async Task<GatewayUnderTest> StartAsync(Dictionary<string, string?> settings, FakeTimeProvider time) =>
        await GatewayUnderTest.StartAsync(settings, builder => builder.Services.AddSingleton<TimeProvider>(time));

    /// <summary>Runs a simulated client through the gateway, moving the gateway's clock with the simulator's timing.</summary>
    private static GatewayVictim Drive(GatewayUnderTest gateway, FakeTimeProvider time, string family, GeneratedApiKey key, int seed, int queries)
    {
        var victim = new GatewayVictim(TensorVictims.Get("demo-classifier"), gateway.Client, key);
        var client = TensorClients.Create(family);
        foreach (var query in client.Run(victim, new Random(seed), queries))
        {
            var target = Start + TimeSpan.FromSeconds(query.Seconds);
            if (target > time.GetUtcNow())
            {
                time.SetUtcNow(target);
            }
        }

        return victim;
    }

    [Fact]
    public async Task A_boundary_attack_is_flagged_and_hardened_and_a_video_stream_is_not()
    {
        await using var upstream = await DemoUpstream.StartAsync();
        var (attacker, benign) = (ApiKeyFormat.Generate(), ApiKeyFormat.Generate());
        var time = new FakeTimeProvider(Start);
        await using var gateway = await StartAsync(Settings(upstream.Address, attacker, benign, (0.9, "Flag"), (0.95, "Harden")), time);

        var attack = Drive(gateway, time, "hopskipjump", attacker, seed: 11, queries: 300);
        var stream = Drive(gateway, time, "video-stream", benign, seed: 12, queries: 300);

        Assert.All(attack.Answers.Concat(stream.Answers), a => Assert.Equal(200, a.Status));
        await Limits.RateLimitTests.WaitUntil(() => gateway.Audit.Events.Any(e => e.ClientId == "attacker" && e.Code == "output_hardened"));
        // One audited verdict per action reached (flag, then harden, or both at once), each with its evidence.
        var verdicts = gateway.Audit.Events.Where(e => e.ClientId == "attacker" && e.Decision == "flag").ToArray();
        Assert.InRange(verdicts.Length, 1, 2);
        Assert.Equal("anomaly_hardened", verdicts[^1].Code);
        var flagged = verdicts[0];
        Assert.Equal("anomaly", flagged.Stage);
        Assert.True(flagged.AnomalyScore >= 0.9);
        Assert.Matches("^[0-9a-f]{12}$", flagged.AnomalyModel!);
        Assert.False(string.IsNullOrWhiteSpace(flagged.AnomalyReasons));
        Assert.Contains(gateway.Audit.Events, e => e.ClientId == "attacker" && e.Code == "output_hardened");
        Assert.DoesNotContain(gateway.Audit.Events, e => e.ClientId == "benign");

        // After the flag, the attacker's answers are the top class only, rounded to two decimals.
        var last = JsonDocument.Parse(attack.Answers[^1].Body).RootElement.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.Equal(2, last.Count(v => v == 0));
        Assert.All(last, v => Assert.Equal(Math.Round(v, 2), v));
    }

    [Fact]
    public async Task A_quarantined_client_is_refused_on_every_route_with_one_audit_event_per_refusal()
    {
        await using var upstream = await DemoUpstream.StartAsync();
        var (attacker, benign) = (ApiKeyFormat.Generate(), ApiKeyFormat.Generate());
        var time = new FakeTimeProvider(Start);
        await using var gateway = await StartAsync(Settings(upstream.Address, attacker, benign, (0.9, "Quarantine")), time);

        var attack = Drive(gateway, time, "random-probing", attacker, seed: 21, queries: 200);

        var refused = attack.Answers.Where(a => a.Status == 403).ToArray();
        Assert.NotEmpty(refused);
        var first = attack.Answers.FindIndex(a => a.Status == 403);
        Assert.All(attack.Answers.Skip(first), a => Assert.Equal(403, a.Status));
        foreach (var (_, body) in refused)
        {
            var problem = JsonDocument.Parse(body).RootElement;
            Assert.Equal("client_quarantined", problem.GetProperty("code").GetString());
            var incident = problem.GetProperty("incidentId").GetString()!;
            await gateway.Audit.WaitForAsync(incident);
            Assert.Equal(1, gateway.Audit.CountFor(incident));
        }

        // Another route of another protocol refuses the client too; the benign client is served.
        using var predict = new HttpRequestMessage(HttpMethod.Post, "/v1/models/demo-classifier:predict")
        {
            Content = new StringContent("""{"instances":[[6.6,3.0,5.6,2.0]]}""", Encoding.UTF8, "application/json"),
        };
        predict.Headers.Authorization = new AuthenticationHeaderValue("Bearer", attacker.Key);
        using var response = await gateway.Client.SendAsync(predict);
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Contains("client_quarantined", await response.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        var served = Drive(gateway, time, "one-off", benign, seed: 22, queries: 5);
        Assert.All(served.Answers, a => Assert.Equal(200, a.Status));
    }

    [Fact]
    public async Task A_throttled_client_gets_429_with_its_evidence_in_each_refusal()
    {
        await using var upstream = await DemoUpstream.StartAsync();
        var (attacker, benign) = (ApiKeyFormat.Generate(), ApiKeyFormat.Generate());
        var time = new FakeTimeProvider(Start);
        var settings = Settings(upstream.Address, attacker, benign, (0.9, "Throttle"));
        settings["AiGuard:Anomaly:Policies:watch:Actions:0:PerMinute"] = "2";
        await using var gateway = await StartAsync(settings, time);

        var attack = Drive(gateway, time, "random-probing", attacker, seed: 31, queries: 200);

        var refusals = attack.Answers.Where(a => a.Status == 429).ToArray();
        await Limits.RateLimitTests.WaitUntil(() => gateway.Audit.Events.Count(e => e.Code == "anomaly_throttled") > refusals.Length);
        Assert.NotEmpty(refusals);
        Assert.All(refusals, a => Assert.Contains("\"code\":\"anomaly_throttled\"", a.Body, StringComparison.Ordinal));
        var events = gateway.Audit.Events.Where(e => e.Code == "anomaly_throttled").ToArray();
        Assert.Single(events, e => e.Decision == "flag");
        Assert.Equal(refusals.Length, events.Count(e => e.Decision == "refuse"));
        Assert.All(events, e => Assert.True(e.AnomalyScore >= 0.9));
    }

    [Fact]
    public async Task Without_a_reference_file_the_gateway_learns_one_from_its_clients_first_requests()
    {
        await using var upstream = await DemoUpstream.StartAsync();
        var (first, second) = (ApiKeyFormat.Generate(), ApiKeyFormat.Generate());
        var time = new FakeTimeProvider(Start);
        var settings = Settings(upstream.Address, first, second, (0.9, "Flag"));
        settings.Remove("AiGuard:Anomaly:References:demo-classifier");
        settings["AiGuard:Anomaly:Learning:MinClients"] = "2";
        settings["AiGuard:Anomaly:Learning:MinRows"] = "12";
        await using var gateway = await StartAsync(settings, time);
        var references = gateway.App.Services.GetRequiredService<AiGuard.Anomaly.AnomalyEngine>().References;

        Drive(gateway, time, "heavy-user", first, seed: 41, queries: 40);
        Assert.Null(references.For("demo-classifier", 4));
        Drive(gateway, time, "heavy-user", second, seed: 42, queries: 40);

        // Each client taught it its first 8 requests only; two clients and 16 rows make it usable.
        var learnt = Assert.Single(references.Learnt);
        Assert.Equal(("demo-classifier", 4, 16L, true), learnt);
        var reference = references.For("demo-classifier", 4)!;
        var file = TensorVictims.Reference(TensorVictims.Get("demo-classifier"));
        Assert.InRange(reference.Typical, file.Typical * 0.6, file.Typical * 1.4);
    }
}
