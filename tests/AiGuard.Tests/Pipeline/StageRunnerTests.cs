using AiGuard.Audit;
using AiGuard.Configuration;
using AiGuard.Pipeline;
using AiGuard.Protocols;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace AiGuard.Tests.Pipeline;

/// <summary>The response-body stages over one parsed answer, with each stage's fail mode.</summary>
public class StageRunnerTests
{
    private static readonly InferenceResponse Answer = new() { Protocol = ProtocolNames.OpenAi, Model = "gpt-4o" };

    private static (StageRunner Runner, GuardContext Guard, AuditTrail Trail, RecordingSink Sink, FakeLogger<StageRunner> Log) Setup(
        Action<Dictionary<string, string?>>? change = null, params IGuardStage[] stages)
    {
        var settings = TestGateway.Settings();
        change?.Invoke(settings);
        var snapshot = TestGateway.Configuration(settings, stages).Current;
        var (recorder, trail, sink) = TestGateway.Recorder();
        var log = new FakeLogger<StageRunner>();
        return (new StageRunner(recorder, new PipelineMetrics(TestGateway.Meters), log), TestGateway.Context(snapshot), trail, sink, log);
    }

    private static async Task<List<AuditEvent>> Events(AuditTrail trail, RecordingSink sink)
    {
        await trail.StartAsync(CancellationToken.None);
        await trail.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        return sink.Events;
    }

    [Fact]
    public async Task An_answer_every_stage_accepts_continues_unrecorded()
    {
        var seen = new List<string>();
        var (runner, guard, trail, sink, _) = Setup(null, new BodyStage("one", 910, _ => { seen.Add("one"); return default; }), new BodyStage("two", 920, _ => { seen.Add("two"); return default; }));

        var (decision, stage) = runner.RunResponse(guard, Answer);

        Assert.True(decision.IsContinue);
        Assert.Equal(string.Empty, stage);
        Assert.Equal(["one", "two"], seen);
        Assert.Empty(await Events(trail, sink));
    }

    [Fact]
    public async Task A_change_to_the_answer_is_audited_and_the_next_stage_still_runs()
    {
        var later = 0;
        var (runner, guard, trail, sink, _) = Setup(
            null,
            new BodyStage("redactor", 910, _ => GuardDecision.Modify("test_redacted", "Redacted a name.")),
            new BodyStage("later", 920, _ => { later++; return default; }));

        var (decision, _) = runner.RunResponse(guard, Answer);

        Assert.True(decision.IsContinue);
        Assert.Equal(1, later);
        var audit = Assert.Single(await Events(trail, sink));
        Assert.Equal("modify", audit.Decision);
        Assert.Equal("redactor", audit.Stage);
    }

    [Fact]
    public async Task The_first_refusal_is_returned_with_its_stage_and_left_for_the_caller_to_record()
    {
        var later = 0;
        var (runner, guard, trail, sink, _) = Setup(
            null,
            new BodyStage("censor", 910, _ => GuardDecision.Refuse(451, "test_cut", "Cut.")),
            new BodyStage("later", 920, _ => { later++; return default; }));

        var (decision, stage) = runner.RunResponse(guard, Answer);

        Assert.True(decision.IsRefusal);
        Assert.Equal("test_cut", decision.Code);
        Assert.Equal("censor", stage);
        Assert.Equal(0, later);
        Assert.Empty(await Events(trail, sink));
    }

    [Fact]
    public void A_failing_stage_fails_closed_by_default_and_the_failure_is_logged()
    {
        var (runner, guard, _, _, log) = Setup(null, new BodyStage("fragile", 910, _ => throw new InvalidOperationException("boom")));

        var (decision, stage) = runner.RunResponse(guard, Answer);

        Assert.Equal("fragile", stage);
        Assert.Equal(503, decision.Status);
        Assert.Equal(ProblemCodes.GuardUnavailable, decision.Code);
        Assert.Equal("The stage 'fragile' could not decide; the route fails closed.", decision.Detail);
        var record = log.LatestRecord;
        Assert.Equal(LogLevel.Error, record.Level);
        Assert.Equal("Guard stage fragile failed on route chat", record.Message);
        Assert.Equal("boom", record.Exception!.Message);
    }

    [Fact]
    public async Task A_failing_stage_on_a_fail_open_route_is_passed_audited_and_counted()
    {
        var meters = TestGateway.NewMeters();
        using var failOpen = new Microsoft.Extensions.Diagnostics.Metrics.Testing.MetricCollector<long>(meters, PipelineMetrics.MeterName, "aiguard.stage.fail_open");
        var settings = TestGateway.Settings();
        settings["AiGuard:Policies:p:FailOpen:0"] = "fragile";
        var snapshot = TestGateway.Configuration(settings, new BodyStage("fragile", 910, _ => throw new InvalidOperationException("boom"))).Current;
        var (recorder, trail, sink) = TestGateway.Recorder(meters: meters);
        var runner = new StageRunner(recorder, new PipelineMetrics(meters), new FakeLogger<StageRunner>());

        var (decision, _) = runner.RunResponse(TestGateway.Context(snapshot), Answer);

        Assert.True(decision.IsContinue);
        var audit = Assert.Single(await Events(trail, sink));
        Assert.Equal(ProblemCodes.GuardFailedOpen, audit.Code);
        Assert.Equal("The stage 'fragile' failed; the route fails open, so the request went on unchecked by it.", audit.Detail);
        var measurement = Assert.Single(failOpen.GetMeasurementSnapshot());
        Assert.Equal(1, measurement.Value);
        Assert.Equal("fragile", measurement.Tags["aiguard.stage"]);
    }

    [Fact]
    public void Only_the_stages_named_fail_open_fail_open()
    {
        var (runner, guard, _, _, _) = Setup(s => s["AiGuard:Policies:p:FailOpen:0"] = StageNames.Authorize);

        var decision = runner.FailMode(guard, "fragile");

        Assert.True(decision.IsRefusal);
    }

    private sealed class BodyStage(string name, int order, Func<InferenceResponse, GuardDecision> decide) : IGuardStage
    {
        public string Name => name;

        public int Order => order;

        public StagePhases Phases => StagePhases.ResponseBody;

        public bool AppliesTo(RoutePolicy route) => true;

        public GuardDecision OnResponse(GuardContext context, InferenceResponse response) => decide(response);
    }
}
