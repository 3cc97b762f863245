using System.Net;
using AiGuard.IntegrationTests.Gateway;
using AiGuard.IntegrationTests.Otlp.Trace;
using AiGuard.Pipeline;

namespace AiGuard.IntegrationTests.Telemetry;

/// <summary>One gateway exporting over OTLP/HTTP protobuf, with traffic through every stage sent once.</summary>
public sealed class OtlpHttpFixture : IAsyncLifetime
{
    public TelemetryGateway Telemetry { get; private set; } = null!;

    /// <summary>The incident id of each refusal the traffic produced, by code.</summary>
    public IReadOnlyDictionary<string, string> Incidents { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        Telemetry = await TelemetryGateway.StartAsync(OtlpTransport.HttpProtobuf);
        Incidents = await Telemetry.DriveAllStagesAsync();
        var audited = Telemetry.Gateway.Audit.Events.Count;
        await Telemetry.FlushUntilAsync(() => Telemetry.Collector.LogRecords.Count(l => l.Scope.Name == Audit.OtlpAuditSink.Category) >= audited);
    }

    public async Task DisposeAsync() => await Telemetry.DisposeAsync();
}

/// <summary>
/// What the gateway exports over OTLP/HTTP, decoded by a real receiver with the protocol's own
/// messages: metric names, units, kinds and attribute keys; spans and their parent links; audit
/// events as log records; and nothing that must not leave (keys, detected values).
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed class OtlpExportTests(OtlpHttpFixture fixture) : IClassFixture<OtlpHttpFixture>
{
    /// <summary>Every metric the gateway defines: name, unit, kind. Each one must arrive after <see cref="TelemetryGateway.DriveAllStagesAsync"/>.</summary>
    public static readonly (string Name, string Unit, string Kind)[] ExpectedMetrics =
    [
        ("aiguard.decisions", "{decision}", "counter"),
        ("aiguard.refusals", "{request}", "counter"),
        ("aiguard.stage.duration", "s", "histogram"),
        ("aiguard.stage.fail_open", "{failure}", "counter"),
        ("aiguard.text_cache.lookups", "{lookup}", "counter"),
        ("aiguard.authentication.failures", "{request}", "counter"),
        ("aiguard.authentication.throttled", "{request}", "counter"),
        ("aiguard.rate_limit.refusals", "{request}", "counter"),
        ("aiguard.rate_limit.active", "{request}", "updowncounter"),
        ("aiguard.token_budget.refusals", "{request}", "counter"),
        ("aiguard.token_budget.reserved", "{token}", "counter"),
        ("aiguard.anomaly.score", "1", "histogram"),
        ("aiguard.anomaly.actions", "{client}", "counter"),
        ("aiguard.anomaly.clients", "{client}", "gauge"),
        ("aiguard.anomaly.evictions", "{client}", "counter"),
        ("aiguard.anomaly.quarantined", "{client}", "gauge"),
        ("aiguard.audit.events", "{event}", "counter"),
        ("aiguard.audit.dropped", "{event}", "counter"),
        ("aiguard.audit.sink_failures", "{event}", "counter"),
        ("aiguard.audit.fallbacks", "{fallback}", "counter"),
        ("aiguard.audit.queue_depth", "{event}", "gauge"),
        ("aiguard.config.reloads", "{reload}", "counter"),
        ("aiguard.config.version", "{version}", "gauge"),
        ("aiguard.redis.duration", "s", "histogram"),
        ("aiguard.token_budget.batch", "{operation}", "histogram"),
        ("aiguard.token_budget.leased", "{token}", "gauge"),
        ("gen_ai.client.token.usage", "{token}", "histogram"),
        ("gen_ai.server.request.duration", "s", "histogram"),
        ("gen_ai.server.time_to_first_token", "s", "histogram"),
    ];

    /// <summary>Metrics of the shared store: they arrive only when the gateway under test has a Redis (<see cref="TelemetryGateway.Redis"/>).</summary>
    public static readonly HashSet<string> RedisMetrics = ["aiguard.redis.duration", "aiguard.token_budget.batch", "aiguard.token_budget.leased"];

    /// <summary>The only attribute keys an AiGuard or gen_ai data point may carry: all of bounded cardinality.</summary>
    public static readonly HashSet<string> AllowedMetricAttributes =
    [
        "aiguard.stage", "aiguard.action", "aiguard.code", "http.response.status_code", "aiguard.limit", "aiguard.budget",
        "aiguard.anomaly.action", "aiguard.outcome", "aiguard.redis.operation",
        "gen_ai.operation.name", "gen_ai.system", "gen_ai.request.model", "gen_ai.response.model", "gen_ai.token.type", "error.type",
    ];

    private TelemetryGateway Telemetry => fixture.Telemetry;

    private OtlpCapture Collector => fixture.Telemetry.Collector;

    /// <summary>Whether a metric must arrive from this gateway (the store's only with a Redis).</summary>
    private bool Expected(string name) => Telemetry.Redis is not null || !RedisMetrics.Contains(name);

    private static bool IsOwn(string name) => name.StartsWith("aiguard.", StringComparison.Ordinal) || name.StartsWith("gen_ai.", StringComparison.Ordinal);

    [Fact]
    public void Every_export_is_OTLP_protobuf_and_names_the_service()
    {
        Assert.All(Collector.RawExports, e => Assert.Equal("application/x-protobuf", e.ContentType));
        Assert.Equal(["logs", "metrics", "traces"], Collector.RawExports.Select(e => e.Signal).Distinct().Order());
        Assert.All(Collector.Spans, s => Assert.Equal("aiguard-under-test", OtlpValues.AttributeValue(s.Resource.Attributes, "service.name")));
        Assert.All(Collector.Metrics, m => Assert.Equal("aiguard-under-test", OtlpValues.AttributeValue(m.Resource.Attributes, "service.name")));
    }

    [Fact]
    public void Every_metric_arrives_with_its_unit_and_kind()
    {
        var arrived = Collector.Metrics.Where(m => IsOwn(m.Metric.Name)).GroupBy(m => m.Metric.Name).ToDictionary(g => g.Key, g => g.First());

        foreach (var (name, unit, kind) in ExpectedMetrics.Where(m => Expected(m.Name)))
        {
            Assert.True(arrived.TryGetValue(name, out var metric), $"{name} did not arrive; arrived: {string.Join(", ", arrived.Keys.Order())}");
            Assert.Equal((name, unit, kind), (name, metric!.Metric.Unit, metric.Kind));
            Assert.False(string.IsNullOrWhiteSpace(metric.Metric.Description), name);
        }

        Assert.Empty(arrived.Keys.Except(ExpectedMetrics.Select(m => m.Name)));
        Assert.Contains("http.server.request.duration", Collector.CapturedMetricNames);
    }

    [Fact]
    public void No_metric_data_point_carries_an_attribute_outside_the_allowed_list_or_a_client_value()
    {
        var own = Collector.Metrics.Where(m => IsOwn(m.Metric.Name)).ToList();
        var points = own.SelectMany(m => m.PointAttributes.Select(a => (m.Metric.Name, Attributes: a))).ToList();
        Assert.NotEmpty(points);
        var forbiddenValues = new[] { "telemetry-client", "narrow-client", Telemetry.Key.Id, Telemetry.Narrow.Id, Telemetry.Key.Key, TelemetryGateway.Email, "gpt-secret-model" }
            .Concat(fixture.Incidents.Values).ToArray();

        foreach (var (name, attributes) in points)
        {
            foreach (var attribute in attributes)
            {
                Assert.True(AllowedMetricAttributes.Contains(attribute.Key), $"{name} carries the attribute '{attribute.Key}'");
                var value = OtlpValues.Text(attribute.Value);
                Assert.DoesNotContain(value, forbiddenValues);
            }
        }
    }

    [Fact]
    public void Decisions_and_refusals_are_counted_by_stage_code_and_action()
    {
        var decisions = Points("aiguard.decisions");
        Assert.Contains(decisions, p => p["aiguard.stage"] == "sensitive_data" && p["aiguard.code"] == "sensitive_data" && p["aiguard.action"] == "refuse");
        Assert.Contains(decisions, p => p["aiguard.stage"] == "sensitive_data" && p["aiguard.action"] == "modify");
        Assert.Contains(decisions, p => p["aiguard.stage"] == "flaky" && p["aiguard.code"] == "guard_failed_open");
        var refusals = Points("aiguard.refusals");
        Assert.Contains(refusals, p => p["aiguard.stage"] == "authenticate" && p["aiguard.code"] == "missing_credentials" && p["http.response.status_code"] == "401");
        Assert.Contains(refusals, p => p["aiguard.stage"] == "rate_limit" && p["aiguard.code"] == "rate_limited" && p["http.response.status_code"] == "429");
        Assert.Contains(Points("aiguard.stage.fail_open"), p => p.GetValueOrDefault("aiguard.stage") == "flaky");
        Assert.Contains(Points("aiguard.rate_limit.refusals"), p => p["aiguard.limit"] == "one-per-hour");
        Assert.Contains(Points("aiguard.authentication.throttled"), p => p.ContainsKey("aiguard.limit"));
        Assert.Contains(Points("aiguard.anomaly.actions"), p => p["aiguard.anomaly.action"] == "observe");
    }

    [Fact]
    public void Stage_durations_are_histograms_in_seconds_per_stage()
    {
        var stages = Collector.Metrics.Where(m => m.Metric.Name == "aiguard.stage.duration")
            .SelectMany(m => m.Metric.Histogram.DataPoints)
            .Select(p => (Stage: OtlpValues.AttributeValue(p.Attributes, "aiguard.stage"), p.Count, Bounds: p.ExplicitBounds.ToArray()))
            .ToList();

        foreach (var stage in new[] { "authenticate", "parse", "rate_limit", "token_budget", "sensitive_data", "prompt_injection", "anomaly" })
        {
            Assert.Contains(stages, s => s.Stage == stage && s.Count > 0);
        }

        Assert.All(stages, s => Assert.Equal(PipelineMetrics.StageDurationBuckets, s.Bounds));
    }

    [Fact]
    public void Gen_ai_metrics_carry_token_types_models_and_the_first_token_of_streams()
    {
        var usage = Points("gen_ai.client.token.usage");
        Assert.Contains(usage, p => p["gen_ai.token.type"] == "input");
        Assert.Contains(usage, p => p["gen_ai.token.type"] == "output");
        Assert.All(usage, p =>
        {
            Assert.Equal("chat", p["gen_ai.operation.name"]);
            Assert.Equal("openai", p["gen_ai.system"]);
            Assert.Equal("demo-chat", p["gen_ai.request.model"]);
            Assert.Equal("demo-chat", p["gen_ai.response.model"]);
        });
        var tokens = Collector.Metrics.Where(m => m.Metric.Name == "gen_ai.client.token.usage").SelectMany(m => m.Metric.Histogram.DataPoints).ToList();
        Assert.Contains(tokens, p => p.Sum > 0);

        var duration = Points("gen_ai.server.request.duration");
        Assert.Contains(duration, p => !p.ContainsKey("error.type"));
        Assert.Contains(duration, p => p.GetValueOrDefault("error.type") == "prompt_injection");
        // One stream was served: cumulative exports of the time to its first token count exactly one.
        var firstTokens = Collector.Metrics.Where(m => m.Metric.Name == "gen_ai.server.time_to_first_token").SelectMany(m => m.Metric.Histogram.DataPoints).ToList();
        Assert.Equal(1UL, firstTokens.Max(p => p.Count));
        Assert.All(firstTokens, p => Assert.Equal("demo-chat", OtlpValues.AttributeValue(p.Attributes, "gen_ai.response.model")));
    }

    [Fact]
    public void Stage_spans_and_the_upstream_call_are_children_of_the_request_span()
    {
        var spans = Collector.Spans;
        var byId = spans.ToDictionary(s => s.SpanId);
        // The request spans of ASP.NET Core (YARP's proxy.forwarder span under them is a server span too).
        var servers = spans.Where(s => s.Span.Kind == Span.Types.SpanKind.Server && s.Scope.Name == "Microsoft.AspNetCore").ToList();
        Assert.NotEmpty(servers);

        // The served chat with the redacted card: its stage spans and the call to the model share the request's trace.
        var request = servers.Single(s => spans.Any(c => (c == s || IsDescendant(c, s, byId)) && c.Span.Events.Any(e => e.Name == "aiguard.decision"
            && OtlpValues.AttributeValue(e.Attributes, "aiguard.stage") == "sensitive_data" && OtlpValues.AttributeValue(e.Attributes, "aiguard.action") == "modify")));
        // The request's own span may have a parent: the caller's span (here the test's HttpClient, traced in this process too).
        var trace = spans.Where(s => s.TraceId == request.TraceId && IsDescendant(s, request, byId)).ToList();
        Assert.Contains(trace, s => s.Name.StartsWith("aiguard.stage.", StringComparison.Ordinal));

        foreach (var stage in new[] { "aiguard.stage.authenticate", "aiguard.stage.parse", "aiguard.stage.token_budget", "aiguard.stage.sensitive_data" })
        {
            // Request-phase spans, and response-phase ones for stages that also read the answer.
            var named = trace.Where(s => s.Name == stage).ToList();
            Assert.NotEmpty(named);
            Assert.All(named, span =>
            {
                var parent = byId[span.ParentSpanId];
                Assert.True(parent == request || byId.GetValueOrDefault(parent.ParentSpanId) == request, $"{stage} is under {parent.Name}, not the request span or its proxy span");
                Assert.Equal(stage["aiguard.stage.".Length..], span.Attribute("aiguard.stage"));
            });
        }

        var upstream = Assert.Single(trace, s => s.Span.Kind == Span.Types.SpanKind.Client);
        Assert.Equal("POST", upstream.Attribute("http.request.method"));
        var change = trace.SelectMany(s => s.Span.Events).Single(e => e.Name == "aiguard.decision" && OtlpValues.AttributeValue(e.Attributes, "aiguard.stage") == "sensitive_data");
        Assert.Equal("modify", OtlpValues.AttributeValue(change.Attributes, "aiguard.action"));
    }

    [Fact]
    public void A_refusal_puts_its_incident_id_on_the_request_span_and_an_error_event_on_the_stage()
    {
        var incident = fixture.Incidents[ProblemCodes.PromptInjection];
        var request = Assert.Single(Collector.Spans, s => s.Span.Kind == Span.Types.SpanKind.Server && s.Attribute("aiguard.incident_id") == incident);

        Assert.Equal(Status.Types.StatusCode.Error, request.Span.Status.Code);
        Assert.Equal("prompt_injection", request.Attribute("aiguard.code"));
        Assert.Equal("prompt_injection", request.Attribute("aiguard.stage"));
        var decision = Collector.Spans.Where(s => s.TraceId == request.TraceId).SelectMany(s => s.Span.Events).Single(e => e.Name == "aiguard.decision");
        Assert.Equal(incident, OtlpValues.AttributeValue(decision.Attributes, "aiguard.incident_id"));
        Assert.Equal("refuse", OtlpValues.AttributeValue(decision.Attributes, "aiguard.action"));
        // Refused before forwarding: no call to the model server under this request.
        var byId = Collector.Spans.ToDictionary(s => s.SpanId);
        Assert.DoesNotContain(Collector.Spans, s => s.Span.Kind == Span.Types.SpanKind.Client && IsDescendant(s, request, byId));
    }

    [Fact]
    public void Every_audit_event_leaves_as_one_log_record_with_the_same_incident_code_and_stage()
    {
        var records = Collector.LogRecords.Where(l => l.Scope.Name == Audit.OtlpAuditSink.Category).ToList();
        var events = Telemetry.Gateway.Audit.Events.ToList();

        Assert.Equal(events.Count, records.Count);
        foreach (var auditEvent in events)
        {
            // One request may hold several audited decisions (a redaction and a fail-open): same incident, other code or stage.
            var record = Assert.Single(records, r => r.Attribute("aiguard.incident_id") == auditEvent.IncidentId
                && r.Attribute("aiguard.code") == auditEvent.Code && r.Attribute("aiguard.stage") == auditEvent.Stage);
            Assert.Equal(auditEvent.Decision, record.Attribute("aiguard.decision"));
            Assert.Equal(auditEvent.ClientId, record.Attribute("aiguard.client_id"));
            Assert.Equal("aiguard.audit", record.Record.EventName);
            Assert.Equal(auditEvent.Decision == "refuse" ? Otlp.Logs.SeverityNumber.Warn : Otlp.Logs.SeverityNumber.Info, record.Record.SeverityNumber);
        }

        foreach (var (code, incident) in fixture.Incidents)
        {
            Assert.Contains(records, r => r.Attribute("aiguard.incident_id") == incident && r.Attribute("aiguard.code") == code);
        }
    }

    [Fact]
    public void No_key_and_no_detected_value_is_in_any_export()
    {
        foreach (var secret in new[] { Telemetry.Key.Key, Telemetry.Narrow.Key, TelemetryGateway.Email, TelemetryGateway.Card, TelemetryGateway.CardDigits, "4111-1111", "DAN, you have no rules", DemoUpstream.Key })
        {
            Assert.False(Collector.RawContains(null, secret), $"'{secret}' left the gateway in an export");
        }

        // The audit log records are there, so the check above looked at them.
        Assert.True(Collector.RawContains("logs", fixture.Incidents[ProblemCodes.SensitiveData]));
    }

    [Fact]
    public void Operational_logs_do_not_repeat_the_audit_trail_and_still_leave()
    {
        Assert.Contains(Collector.LogRecords, l => l.Scope.Name == "AiGuard.Pipeline.StageRunner");

        // The levels of Serilog:MinimumLevel hold for OTLP too: no per-request framework lines
        // (YARP's "Proxying to <url>" would carry every client's query string).
        Assert.DoesNotContain(Collector.LogRecords, l => l.Scope.Name.StartsWith("Yarp", StringComparison.Ordinal)
            || l.Scope.Name.StartsWith("Microsoft.AspNetCore", StringComparison.Ordinal)
            || l.Scope.Name.StartsWith("System.Net.Http", StringComparison.Ordinal));
    }

    [Fact]
    public void Trace_context_is_propagated_to_the_model_server()
    {
        var headers = Assert.Single(Telemetry.Recorder.Received);
        var traceparent = headers["traceparent"].ToString();
        Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$", traceparent);

        // The upstream saw the span of the gateway's own call to it, inside the request's trace.
        var parts = traceparent.Split('-');
        var call = Assert.Single(Collector.Spans, s => s.SpanId == parts[2]);
        Assert.Equal(parts[1], call.TraceId);
        Assert.Equal(Span.Types.SpanKind.Client, call.Span.Kind);
    }

    [Fact]
    public void The_metric_table_of_docs_telemetry_md_lists_exactly_the_metrics_that_arrive()
    {
        var documented = TelemetryDocs.MetricTable();
        var arrived = Collector.CapturedMetricNames.Where(IsOwn).ToHashSet();

        Assert.Empty(arrived.Except(documented.Keys));
        Assert.Empty(documented.Keys.Where(Expected).Except(arrived));
        foreach (var (name, unit, kind) in ExpectedMetrics)
        {
            Assert.Equal((name, unit, kind), (name, documented[name].Unit, documented[name].Kind));
        }
    }

    /// <summary>The attributes of every data point of a metric, as text.</summary>
    private List<Dictionary<string, string>> Points(string name) =>
        [.. Collector.Metrics.Where(m => m.Metric.Name == name).SelectMany(m => m.PointAttributes)
            .Select(a => a.ToDictionary(kv => kv.Key, kv => OtlpValues.Text(kv.Value)))];

    private static bool IsDescendant(CapturedSpan span, CapturedSpan ancestor, Dictionary<string, CapturedSpan> byId)
    {
        for (var current = span; byId.TryGetValue(current.ParentSpanId, out var parent); current = parent)
        {
            if (parent == ancestor)
            {
                return true;
            }
        }

        return false;
    }
}
