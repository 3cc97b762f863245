using System.Diagnostics;
using AiGuard.Audit;
using AiGuard.Pipeline;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace AiGuard.Tests.Pipeline;

/// <summary>What operators see of a decision besides the audit trail: the metric and the span event.</summary>
public class DecisionTelemetryTests
{
    [Fact]
    public async Task Every_decision_is_counted_by_stage_action_and_code()
    {
        var meters = TestGateway.NewMeters();
        using var decisions = new MetricCollector<long>(meters, PipelineMetrics.MeterName, "aiguard.decisions");
        var (recorder, _, _) = TestGateway.Recorder(meters: meters);
        var guard = TestGateway.Context(TestGateway.Snapshot());

        recorder.RecordChange(guard, "output_hardening", GuardDecision.ModifyByPolicy(ProblemCodes.OutputHardened, "round(2)"));
        await recorder.RefuseAsync(guard, StageNames.Parse, GuardDecision.Refuse(400, ProblemCodes.MalformedJson, "bad"));

        var measurements = decisions.GetMeasurementSnapshot();
        Assert.Equal(2, measurements.Count);
        Assert.All(measurements, m => Assert.Equal(1, m.Value));
        Assert.Equal("output_hardening", measurements[0].Tags["aiguard.stage"]);
        Assert.Equal("modify", measurements[0].Tags["aiguard.action"]);
        Assert.Equal("output_hardened", measurements[0].Tags["aiguard.code"]);
        Assert.Equal("parse", measurements[1].Tags["aiguard.stage"]);
        Assert.Equal("refuse", measurements[1].Tags["aiguard.action"]);
        Assert.Equal("malformed_json", measurements[1].Tags["aiguard.code"]);
    }

    [Fact]
    public void Instruments_are_published_with_their_names_units_and_descriptions()
    {
        var meters = TestGateway.NewMeters();
        using var decisions = new MetricCollector<long>(meters, PipelineMetrics.MeterName, "aiguard.decisions");
        using var failOpen = new MetricCollector<long>(meters, PipelineMetrics.MeterName, "aiguard.stage.fail_open");
        using var written = new MetricCollector<long>(meters, AuditMetrics.MeterName, "aiguard.audit.events");
        using var dropped = new MetricCollector<long>(meters, AuditMetrics.MeterName, "aiguard.audit.dropped");
        using var failures = new MetricCollector<long>(meters, AuditMetrics.MeterName, "aiguard.audit.sink_failures");
        using var fallbacks = new MetricCollector<long>(meters, AuditMetrics.MeterName, "aiguard.audit.fallbacks");

        _ = new PipelineMetrics(meters);
        _ = new AuditMetrics(meters);

        Assert.Equal(("{decision}", "Refusals and changes decided by AiGuard's stages."), (decisions.Instrument!.Unit, decisions.Instrument.Description));
        Assert.Equal(("{failure}", "Stages that failed and were passed because their route fails open."), (failOpen.Instrument!.Unit, failOpen.Instrument.Description));
        Assert.Equal(("{event}", "Audit events handed to the sinks."), (written.Instrument!.Unit, written.Instrument.Description));
        Assert.Equal(("{event}", "Audit events dropped because the queue was full."), (dropped.Instrument!.Unit, dropped.Instrument.Description));
        Assert.Equal(("{event}", "Audit events a sink failed to write."), (failures.Instrument!.Unit, failures.Instrument.Description));
        Assert.Equal(("{fallback}", "Audit destinations replaced by standard output because they could not be written."), (fallbacks.Instrument!.Unit, fallbacks.Instrument.Description));
    }

    [Fact]
    public void The_refusal_and_stage_instruments_are_published_with_their_units_descriptions_and_buckets()
    {
        var meters = TestGateway.NewMeters();
        using var refusals = new MetricCollector<long>(meters, PipelineMetrics.MeterName, "aiguard.refusals");
        using var duration = new MetricCollector<double>(meters, PipelineMetrics.MeterName, "aiguard.stage.duration");
        using var lookups = new MetricCollector<long>(meters, PipelineMetrics.MeterName, "aiguard.text_cache.lookups");

        _ = new PipelineMetrics(meters);

        Assert.Equal(("{request}", "Requests refused with a problem answer, by stage, code and HTTP status."), (refusals.Instrument!.Unit, refusals.Instrument.Description));
        Assert.Equal(("s", "Time a stage took to decide on one request or one answer."), (duration.Instrument!.Unit, duration.Instrument.Description));
        Assert.Equal(PipelineMetrics.StageDurationBuckets, ((System.Diagnostics.Metrics.Histogram<double>)duration.Instrument).Advice!.HistogramBucketBoundaries!);
        Assert.Equal("{lookup}", lookups.Instrument!.Unit);
        Assert.StartsWith("Lookups of long texts in the text guards' per-client caches", lookups.Instrument.Description, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_refusal_is_counted_by_stage_code_and_status()
    {
        var meters = TestGateway.NewMeters();
        using var refusals = new MetricCollector<long>(meters, PipelineMetrics.MeterName, "aiguard.refusals");
        var (recorder, _, _) = TestGateway.Recorder(meters: meters);

        recorder.RecordChange(TestGateway.Context(TestGateway.Snapshot()), "output_hardening", GuardDecision.Modify(ProblemCodes.OutputHardened, "label-only"));
        await recorder.RefuseAsync(TestGateway.Context(TestGateway.Snapshot()), StageNames.Parse, GuardDecision.Refuse(413, ProblemCodes.BodyTooLarge, "big"));

        var refusal = Assert.Single(refusals.GetMeasurementSnapshot());
        Assert.Equal(1, refusal.Value);
        Assert.Equal("parse", refusal.Tags["aiguard.stage"]);
        Assert.Equal("body_too_large", refusal.Tags["aiguard.code"]);
        Assert.Equal(413, refusal.Tags["http.response.status_code"]);
    }

    [Fact]
    public void A_timed_stage_records_its_duration_and_ends_its_span()
    {
        var stage = $"test_{Guid.NewGuid():N}";
        var stopped = new List<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s.Name == AiGuard.Telemetry.GuardTelemetry.ActivitySourceName,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = a =>
            {
                if (a.OperationName == "aiguard.stage." + stage)
                {
                    lock (stopped)
                    {
                        stopped.Add(a);
                    }
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        var meters = TestGateway.NewMeters();
        using var duration = new MetricCollector<double>(meters, PipelineMetrics.MeterName, "aiguard.stage.duration");
        var metrics = new PipelineMetrics(meters);

        using (var timing = metrics.Time(stage))
        {
            Assert.NotNull(timing.Span);
        }

        var span = Assert.Single(stopped);
        Assert.Equal(stage, span.GetTagItem("aiguard.stage"));
        var measured = Assert.Single(duration.GetMeasurementSnapshot(), m => (string?)m.Tags["aiguard.stage"] == stage);
        Assert.InRange(measured.Value, 0, 60);
    }

    [Fact]
    public void A_fallback_of_the_audit_destination_is_counted()
    {
        var meters = TestGateway.NewMeters();
        using var fallbacks = new MetricCollector<long>(meters, AuditMetrics.MeterName, "aiguard.audit.fallbacks");

        new AuditMetrics(meters).FellBack();

        Assert.Equal(1, Assert.Single(fallbacks.GetMeasurementSnapshot()).Value);
    }

    [Fact]
    public async Task A_refusal_is_an_error_event_on_the_current_span_with_its_incident_id()
    {
        using var source = new ActivitySource($"AiGuard.Tests.{Guid.NewGuid():N}");
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s == source,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        var (recorder, trail, sink) = TestGateway.Recorder();
        var guard = TestGateway.Context(TestGateway.Snapshot());

        using var activity = source.StartActivity("request")!;
        await recorder.RefuseAsync(guard, StageNames.Parse, GuardDecision.Refuse(400, ProblemCodes.MalformedJson, "bad"));

        var decision = Assert.Single(activity.Events);
        Assert.Equal("aiguard.decision", decision.Name);
        var tags = decision.Tags.ToDictionary(t => t.Key, t => t.Value);
        Assert.Equal("parse", tags["aiguard.stage"]);
        Assert.Equal("refuse", tags["aiguard.action"]);
        Assert.Equal("malformed_json", tags["aiguard.code"]);
        Assert.Equal(guard.IncidentId, tags["aiguard.incident_id"]);
        Assert.Equal(ActivityStatusCode.Error, activity.Status);
        Assert.Equal("malformed_json", activity.StatusDescription);
        await trail.StartAsync(CancellationToken.None);
        await trail.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(activity.TraceId.ToString(), Assert.Single(sink.Events).TraceId);
    }

    [Fact]
    public void A_route_wide_change_is_a_span_event_without_an_incident_and_leaves_the_span_ok()
    {
        using var source = new ActivitySource($"AiGuard.Tests.{Guid.NewGuid():N}");
        using var listener = new ActivityListener
        {
            ShouldListenTo = s => s == source,
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
        };
        ActivitySource.AddActivityListener(listener);
        var (recorder, _, _) = TestGateway.Recorder();
        var guard = TestGateway.Context(TestGateway.Snapshot());

        using var activity = source.StartActivity("request")!;
        recorder.RecordChange(guard, "output_hardening", GuardDecision.ModifyByPolicy(ProblemCodes.OutputHardened, "round(2)"));

        var tags = Assert.Single(activity.Events).Tags.ToDictionary(t => t.Key, t => t.Value);
        Assert.Equal("modify", tags["aiguard.action"]);
        Assert.False(tags.ContainsKey("aiguard.incident_id"));
        Assert.False(guard.HasIncident);
        Assert.Equal(ActivityStatusCode.Unset, activity.Status);
    }
}
