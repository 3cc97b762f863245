using AiGuard.Anomaly;
using AiGuard.Identity;
using AiGuard.Limits;
using AiGuard.Pipeline;
using AiGuard.Protocols;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace AiGuard.Tests.Anomaly;

/// <summary>When the engine runs the model: the shipped model, a fake clock, the score histogram counting the runs.</summary>
public sealed class AnomalyEngineScheduleTests
{
    private static string ShippedModel()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, AnomalyModelHost.ShippedModelPath);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException("models/anomaly.onnx not found above the test's directory");
    }

    [Fact]
    public void A_client_is_scored_after_every_request_then_every_nth_and_at_most_once_per_interval()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AiGuard:Anomaly:Model:Path"] = ShippedModel(),
            ["AiGuard:Anomaly:MinRequests"] = "8",
            ["AiGuard:Anomaly:ScoreEveryRequestUntil"] = "20",
            ["AiGuard:Anomaly:ScoreEvery"] = "4",
            ["AiGuard:Anomaly:MinScoreInterval"] = "00:00:00.001",
            // Inline: each run is counted by the time the request returns.
            ["AiGuard:Anomaly:BatchScoring"] = "false",
        }).Build();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 8, 0, 0, TimeSpan.Zero));
        var meters = TestGateway.NewMeters();
        using var host = new AnomalyModelHost(configuration);
        var engine = new AnomalyEngine(host, configuration, time, new AnomalyMetrics(meters), new RedisConnectionHolder(null), NullLogger<AnomalyEngine>.Instance);
        using var scores = new MetricCollector<double>(meters, AnomalyMetrics.MeterName, "aiguard.anomaly.score");
        var policy = new AnomalyPolicy("never", new AnomalyPolicyOptions { Actions = [new AnomalyActionOptions { Threshold = 1, Action = AnomalyAction.Observe }] });
        var context = TestGateway.Context(TestGateway.Snapshot());
        context.Client = new ClientIdentity("client", "key", "tenant", [], ["*"], ["*"]);
        var random = new Random(5);

        void Send(TimeSpan gap)
        {
            time.Advance(gap);
            context.Request = new InferenceRequest
            {
                Protocol = ProtocolNames.OpenInferenceV2,
                Operation = "infer",
                Inputs = [new TensorInput("inputs[0]", "features", [1, 4], "FP32", [.. Enumerable.Range(0, 4).Select(_ => random.NextDouble() * 8)], [])],
            };
            Assert.True(engine.Assess(context, policy).IsContinue);
        }

        for (var i = 0; i < 100; i++)
        {
            Send(TimeSpan.FromMilliseconds(10));
        }

        // Requests 8..20 (13), then 24, 28, ..., 100 (20).
        Assert.Equal(33, scores.GetMeasurementSnapshot().Count);

        // A burst of 40 requests 0.1 ms apart: every 4th is due, but at most one run per millisecond.
        for (var i = 0; i < 40; i++)
        {
            Send(TimeSpan.FromTicks(1_000));
        }

        Assert.InRange(scores.GetMeasurementSnapshot().Count - 33, 3, 5);
        Assert.InRange(engine.Clients.Find("client")!.Score, 0f, 1f);
    }

    [Fact]
    public void Concurrent_requests_of_one_client_are_all_observed_without_waiting_for_each_other()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AiGuard:Anomaly:Model:Path"] = ShippedModel(),
        }).Build();
        using var host = new AnomalyModelHost(configuration);
        var engine = new AnomalyEngine(host, configuration, TimeProvider.System, new AnomalyMetrics(TestGateway.NewMeters()), new RedisConnectionHolder(null), NullLogger<AnomalyEngine>.Instance);
        var policy = new AnomalyPolicy("never", new AnomalyPolicyOptions { Actions = [new AnomalyActionOptions { Threshold = 1, Action = AnomalyAction.Observe }] });
        var snapshot = TestGateway.Snapshot();
        var client = new ClientIdentity("busy", "key", "tenant", [], ["*"], ["*"]);

        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, worker =>
        {
            for (var i = 0; i < 250; i++)
            {
                Assert.True(engine.Assess(GuardContextFor(snapshot, client, (worker * 1000) + i), policy).IsContinue);
            }
        });

        // Whatever the last requests queued is applied by the client's next request.
        engine.Assess(GuardContextFor(snapshot, client, -1), policy);
        Assert.Equal(2001, engine.Clients.Find("busy")!.Behaviour.Requests);
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData(1, null)]
    [InlineData(8, null)]
    [InlineData(null, "00:00:00")]
    [InlineData(null, "00:00:00.050")]
    public async Task Batch_scoring_scores_every_due_client_off_the_request_path_and_the_next_request_acts_on_it(int? confirmingScores, string? linger)
    {
        var confirming = confirmingScores ?? AnomalyPolicy.ConfirmingScores;
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AiGuard:Anomaly:Model:Path"] = ShippedModel(),
            ["AiGuard:Anomaly:MinRequests"] = "8",
            ["AiGuard:Anomaly:ConfirmingScores"] = confirmingScores?.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["AiGuard:Anomaly:BatchLinger"] = linger,
        }).Build();
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 26, 8, 0, 0, TimeSpan.Zero));
        var meters = TestGateway.NewMeters();
        using var host = new AnomalyModelHost(configuration);
        using var engine = new AnomalyEngine(host, configuration, time, new AnomalyMetrics(meters), new RedisConnectionHolder(null), NullLogger<AnomalyEngine>.Instance);
        using var scores = new MetricCollector<double>(meters, AnomalyMetrics.MeterName, "aiguard.anomaly.score");
        // A threshold every score reaches: a client is flagged as soon as enough scores confirm it.
        var policy = new AnomalyPolicy("any", new AnomalyPolicyOptions { Actions = [new AnomalyActionOptions { Threshold = 1e-9, Action = AnomalyAction.Flag }] });
        var snapshot = TestGateway.Snapshot();
        var clients = Enumerable.Range(0, 20).Select(i => new ClientIdentity($"client-{i}", "key", "tenant", [], ["*"], ["*"])).ToArray();
        var seed = 0;

        GuardDecision Send(ClientIdentity client)
        {
            time.Advance(TimeSpan.FromSeconds(1));
            return engine.Assess(GuardContextFor(snapshot, client, seed++), policy);
        }

        // Each client's 8th request makes it due; no request waits for, or is judged by, its own score.
        foreach (var client in clients)
        {
            for (var i = 0; i < 8; i++)
            {
                Assert.True(Send(client).IsContinue);
            }
        }

        // A score acts only once ConfirmingScores scores in a row reach the threshold.
        for (var round = 1; round < confirming; round++)
        {
            await engine.WhenScoredAsync();
            Assert.Equal(20 * round, scores.GetMeasurementSnapshot().Count);
            foreach (var client in clients)
            {
                Assert.True(Send(client).IsContinue, $"{round} scores do not act: {confirming} confirm one");
            }
        }

        await engine.WhenScoredAsync();
        Assert.Equal(20 * confirming, scores.GetMeasurementSnapshot().Count);
        foreach (var client in clients)
        {
            var decision = Send(client);
            Assert.Equal(ProblemCodes.AnomalyFlagged, decision.Code);
            Assert.False(string.IsNullOrEmpty(engine.Clients.Find(client.ClientId)!.Reasons), "the reasons come from the features the batch scored");
        }
    }

    private static AiGuard.Pipeline.GuardContext GuardContextFor(AiGuard.Configuration.GatewaySnapshot snapshot, ClientIdentity client, int seed)
    {
        var context = TestGateway.Context(snapshot);
        context.Client = client;
        var random = new Random(seed);
        context.Request = new InferenceRequest
        {
            Protocol = ProtocolNames.OpenInferenceV2,
            Operation = "infer",
            Inputs = [new TensorInput("inputs[0]", "features", [1, 4], "FP32", [.. Enumerable.Range(0, 4).Select(_ => random.NextDouble() * 8)], [])],
        };
        return context;
    }
}
