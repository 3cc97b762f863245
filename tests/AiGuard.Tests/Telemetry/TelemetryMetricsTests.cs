using System.Text;
using AiGuard.Audit;
using AiGuard.Limits;
using AiGuard.Pipeline;
using AiGuard.Protocols;
using AiGuard.Protocols.Json;
using AiGuard.Protocols.OpenAi;
using AiGuard.Telemetry;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Testing;

namespace AiGuard.Tests.Telemetry;

/// <summary>The instruments added for operators: refusals, stage time, limiter state, gen_ai metrics, model-name bounding, audit log records.</summary>
public class TelemetryMetricsTests
{
    private static GuardContext Chat(string model = "demo-chat", bool stream = false)
    {
        var guard = TestGateway.Context(TestGateway.Snapshot());
        var adapter = new OpenAiAdapter();
        guard.Operation = adapter.Match("POST", "/v1/chat/completions");
        var body = $$"""{"model":"{{model}}","stream":{{(stream ? "true" : "false")}},"messages":[{"role":"user","content":"hi"}]}""";
        guard.Request = adapter.ParseRequest(guard.Operation!, Encoding.UTF8.GetBytes(body), new JsonReadLimits(16, 1000));
        guard.Started = System.Diagnostics.Stopwatch.GetTimestamp();
        return guard;
    }

    private static GenAiMetrics GenAi(System.Diagnostics.Metrics.IMeterFactory meters, int maxModels = 100) =>
        new(meters, new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["AiGuard:Telemetry:GenAiSystem"] = "vllm",
            ["AiGuard:Telemetry:MaxModelNames"] = maxModels.ToString(System.Globalization.CultureInfo.InvariantCulture),
        }).Build());

    [Fact]
    public void A_served_completion_records_input_and_output_tokens_and_its_duration_with_the_gen_ai_attributes()
    {
        var meters = TestGateway.NewMeters();
        using var tokens = new MetricCollector<long>(meters, GenAiMetrics.MeterName, "gen_ai.client.token.usage");
        using var duration = new MetricCollector<double>(meters, GenAiMetrics.MeterName, "gen_ai.server.request.duration");
        using var firstToken = new MetricCollector<double>(meters, GenAiMetrics.MeterName, "gen_ai.server.time_to_first_token");
        var metrics = GenAi(meters);
        var guard = Chat();
        guard.UpstreamStatus = 200;
        GenAiMetrics.Observe(guard, new InferenceResponse { Protocol = ProtocolNames.OpenAi, Model = "demo-chat-2026", Usage = new TokenUsage(12, 30, 42) });

        metrics.Completed(guard);

        var recorded = tokens.GetMeasurementSnapshot();
        Assert.Equal([12L, 30L], recorded.Select(m => m.Value));
        Assert.Equal(["input", "output"], recorded.Select(m => m.Tags["gen_ai.token.type"]));
        Assert.All(recorded, m =>
        {
            Assert.Equal("chat", m.Tags["gen_ai.operation.name"]);
            Assert.Equal("vllm", m.Tags["gen_ai.system"]);
            Assert.Equal("demo-chat", m.Tags["gen_ai.request.model"]);
            Assert.Equal("demo-chat-2026", m.Tags["gen_ai.response.model"]);
        });
        var time = Assert.Single(duration.GetMeasurementSnapshot());
        Assert.False(time.Tags.ContainsKey("error.type"));
        Assert.InRange(time.Value, 0, 60);
        Assert.Empty(firstToken.GetMeasurementSnapshot());
        Assert.Equal(("{token}", "s", "s"), (tokens.Instrument!.Unit, duration.Instrument!.Unit, firstToken.Instrument!.Unit));
    }

    [Fact]
    public void A_stream_records_the_time_to_its_first_text_event_once()
    {
        var meters = TestGateway.NewMeters();
        using var firstToken = new MetricCollector<double>(meters, GenAiMetrics.MeterName, "gen_ai.server.time_to_first_token");
        var metrics = GenAi(meters);
        var guard = Chat(stream: true);
        guard.UpstreamStatus = 200;
        var role = new OpenAiAdapter().ParseResponse(guard.Operation!, """{"id":"c","object":"chat.completion.chunk","model":"demo-chat","choices":[{"index":0,"delta":{"role":"assistant"}}]}"""u8);
        var text = new OpenAiAdapter().ParseResponse(guard.Operation!, """{"id":"c","object":"chat.completion.chunk","model":"demo-chat","choices":[{"index":0,"delta":{"content":"Hel"}}]}"""u8);

        GenAiMetrics.Observe(guard, role);
        Assert.Equal(0, guard.FirstTokenAt);
        GenAiMetrics.Observe(guard, text);
        var first = guard.FirstTokenAt;
        GenAiMetrics.Observe(guard, text);
        metrics.Completed(guard);

        Assert.NotEqual(0, first);
        Assert.Equal(first, guard.FirstTokenAt);
        Assert.Single(firstToken.GetMeasurementSnapshot());
    }

    [Fact]
    public void A_refused_request_has_its_code_as_error_type_and_not_the_model_it_named()
    {
        var meters = TestGateway.NewMeters();
        using var duration = new MetricCollector<double>(meters, GenAiMetrics.MeterName, "gen_ai.server.request.duration");
        var guard = Chat(model: "anything-a-client-types");
        guard.RefusalCode = ProblemCodes.ModelNotAllowed;

        GenAi(meters).Completed(guard);

        var time = Assert.Single(duration.GetMeasurementSnapshot());
        Assert.Equal("model_not_allowed", time.Tags["error.type"]);
        Assert.False(time.Tags.ContainsKey("gen_ai.request.model"));
    }

    [Fact]
    public void Made_up_model_names_the_model_server_refuses_never_fill_the_bounded_name_set()
    {
        var meters = TestGateway.NewMeters();
        using var duration = new MetricCollector<double>(meters, GenAiMetrics.MeterName, "gen_ai.server.request.duration");
        var metrics = GenAi(meters, maxModels: 2);
        for (var i = 0; i < 10; i++)
        {
            var invented = Chat(model: $"invented-{i}");
            invented.UpstreamStatus = 404;
            metrics.Completed(invented);
        }

        var served = Chat(model: "demo-chat");
        served.UpstreamStatus = 200;
        metrics.Completed(served);
        var overloaded = Chat(model: "demo-chat");
        overloaded.UpstreamStatus = 503;
        metrics.Completed(overloaded);

        var times = duration.GetMeasurementSnapshot();
        Assert.Equal(12, times.Count);
        Assert.All(times.Take(10), m => Assert.False(m.Tags.ContainsKey("gen_ai.request.model")));
        Assert.Equal("demo-chat", times[10].Tags["gen_ai.request.model"]);
        Assert.Equal("demo-chat", times[11].Tags["gen_ai.request.model"]);
    }

    [Fact]
    public void Nothing_is_recorded_for_a_request_that_is_not_a_generation()
    {
        var meters = TestGateway.NewMeters();
        using var duration = new MetricCollector<double>(meters, GenAiMetrics.MeterName, "gen_ai.server.request.duration");
        var guard = TestGateway.Context(TestGateway.Snapshot(), "GET", "/v1/models");
        guard.Started = System.Diagnostics.Stopwatch.GetTimestamp();

        GenAi(meters).Completed(guard);

        Assert.Empty(duration.GetMeasurementSnapshot());
    }

    [Fact]
    public void Model_names_beyond_the_cap_or_too_long_are_counted_as_other()
    {
        var names = new BoundedNames(2);

        Assert.Equal("a", names.Bound("a"));
        Assert.Equal("b", names.Bound("b"));
        Assert.Equal(BoundedNames.Other, names.Bound("c"));
        Assert.Equal("a", names.Bound("a"));
        Assert.Null(names.Bound(null));
        Assert.Equal(BoundedNames.Other, new BoundedNames(10).Bound(new string('m', BoundedNames.MaxLength + 1)));
        Assert.Same("b", names.Bound(new string(['b'])));
    }

    [Fact]
    public void A_refusal_is_counted_with_its_stage_code_and_status()
    {
        var meters = TestGateway.NewMeters();
        using var refusals = new MetricCollector<long>(meters, PipelineMetrics.MeterName, "aiguard.refusals");
        var (recorder, _, _) = TestGateway.Recorder(meters: meters);
        var guard = TestGateway.Context(TestGateway.Snapshot());

        recorder.RecordChange(guard, "output_hardening", GuardDecision.ModifyByPolicy(ProblemCodes.OutputHardened, "round(2)"));
        _ = recorder.RefuseAsync(guard, StageNames.Parse, GuardDecision.Refuse(413, ProblemCodes.BodyTooLarge, "big")).AsTask();

        var refusal = Assert.Single(refusals.GetMeasurementSnapshot());
        Assert.Equal(("parse", "body_too_large", 413), (refusal.Tags["aiguard.stage"], refusal.Tags["aiguard.code"], refusal.Tags["http.response.status_code"]));
        Assert.Equal(ProblemCodes.BodyTooLarge, guard.RefusalCode);
    }

    [Fact]
    public void A_stage_is_timed_in_seconds_with_only_its_name_as_attribute()
    {
        var meters = TestGateway.NewMeters();
        using var durations = new MetricCollector<double>(meters, PipelineMetrics.MeterName, "aiguard.stage.duration");
        var metrics = new PipelineMetrics(meters);

        using (metrics.Time("rate_limit"))
        {
        }

        var duration = Assert.Single(durations.GetMeasurementSnapshot());
        Assert.Equal("s", durations.Instrument!.Unit);
        Assert.Equal(["aiguard.stage"], duration.Tags.Keys);
        Assert.Equal("rate_limit", duration.Tags["aiguard.stage"]);
        Assert.InRange(duration.Value, 0, 10);
    }

    [Fact]
    public void A_held_concurrency_permit_is_counted_until_it_is_released_once()
    {
        var meters = TestGateway.NewMeters();
        using var active = new MetricCollector<long>(meters, RateLimitMetrics.MeterName, "aiguard.rate_limit.active");
        var metrics = new RateLimitMetrics(meters);
        using var limiter = new System.Threading.RateLimiting.ConcurrencyLimiter(new() { PermitLimit = 1, QueueLimit = 0 });

        var lease = metrics.Held(limiter.AttemptAcquire(), "in-flight");
        Assert.True(lease.IsAcquired);
        Assert.False(limiter.AttemptAcquire().IsAcquired);
        lease.Dispose();
        lease.Dispose();

        Assert.Equal([1L, -1L], active.GetMeasurementSnapshot().Select(m => m.Value));
        Assert.All(active.GetMeasurementSnapshot(), m => Assert.Equal("in-flight", m.Tags["aiguard.limit"]));
        Assert.True(limiter.AttemptAcquire().IsAcquired);
    }

    [Fact]
    public async Task An_audit_event_becomes_one_structured_log_record_without_empty_fields()
    {
        var collector = new FakeLogCollector();
        using var loggers = LoggerFactory.Create(b => b.AddProvider(new FakeLoggerProvider(collector)));
        var sink = new OtlpAuditSink(loggers);
        var auditEvent = new AuditEvent
        {
            IncidentId = "inc_1",
            Timestamp = new DateTimeOffset(2026, 11, 26, 8, 0, 0, TimeSpan.Zero),
            Decision = "refuse",
            Stage = "sensitive_data",
            Code = "sensitive_data",
            Status = 400,
            ClientId = "client-a",
            KeyId = "abcdefghijkl",
            RouteId = "chat",
            Method = "POST",
            Path = "/v1/chat/completions",
        };

        await sink.WriteAsync(auditEvent, CancellationToken.None);

        var record = Assert.Single(collector.GetSnapshot());
        Assert.Equal(OtlpAuditSink.Category, record.Category);
        Assert.Equal(LogLevel.Warning, record.Level);
        Assert.Equal("aiguard.audit", record.Id.Name);
        var state = record.StructuredState!.ToDictionary(kv => kv.Key, kv => kv.Value);
        Assert.Equal("inc_1", state["aiguard.incident_id"]);
        Assert.Equal("400", state["http.response.status_code"]);
        Assert.Equal("abcdefghijkl", state["aiguard.key_id"]);
        Assert.False(state.ContainsKey("aiguard.tenant"));
        Assert.False(state.ContainsKey("aiguard.detail"));
        Assert.Equal("Security decision refuse at sensitive_data: sensitive_data (status 400) on route chat, incident inc_1", record.Message);
    }
}

public sealed class OtlpEndpointTests
{
    [Theory]
    [InlineData("http/protobuf", null, "http://collector:4318/v1/logs")]
    [InlineData(null, "http/protobuf", "http://collector:4318/v1/logs")]
    [InlineData("grpc", "http/protobuf", "http://collector:4318/")]
    [InlineData(null, null, "http://collector:4318/")]
    [InlineData(null, "grpc", "http://collector:4318/")]
    public void Over_http_each_signal_gets_its_path_whichever_source_chose_http(string? setting, string? environment, string expected)
    {
        var options = new AiGuard.Telemetry.TelemetryOptions { OtlpEndpoint = "http://collector:4318/", OtlpProtocol = setting };

        Assert.Equal(new Uri(expected), AiGuard.Telemetry.TelemetryServiceCollectionExtensions.EndpointFor(options, "v1/logs", environment));
    }

    [Fact]
    public void Without_an_endpoint_setting_the_exporter_keeps_its_own()
    {
        Assert.Null(AiGuard.Telemetry.TelemetryServiceCollectionExtensions.EndpointFor(new AiGuard.Telemetry.TelemetryOptions(), "v1/logs", "http/protobuf"));
    }
}

public sealed class OtlpLogLevelTests
{
    /// <summary>The lowest level the OpenTelemetry log provider takes for <paramref name="category"/>, with the gateway's rules.</summary>
    private static LogLevel? EffectiveLevel(Dictionary<string, string?> settings, string category)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var services = new Microsoft.Extensions.DependencyInjection.ServiceCollection();
        Microsoft.Extensions.DependencyInjection.LoggingServiceCollectionExtensions.AddLogging(services, logging =>
        {
            Microsoft.Extensions.Logging.OpenTelemetryLoggingExtensions.AddOpenTelemetry(logging);
            logging.AddFilter(AiGuard.Hosting.AiGuardLogging.HostingDiagnostics, LogLevel.None);
        });
        Microsoft.Extensions.DependencyInjection.OptionsServiceCollectionExtensions.Configure<LoggerFilterOptions>(
            services, filters => AiGuard.Telemetry.TelemetryServiceCollectionExtensions.MirrorSerilogLevels(configuration, filters));
        using var provider = Microsoft.Extensions.DependencyInjection.ServiceCollectionContainerBuilderExtensions.BuildServiceProvider(services);
        var logger = Microsoft.Extensions.DependencyInjection.ServiceProviderServiceExtensions.GetRequiredService<ILoggerFactory>(provider).CreateLogger(category);
        return Enum.GetValues<LogLevel>().Where(l => l != LogLevel.None).Cast<LogLevel?>().FirstOrDefault(l => logger.IsEnabled(l!.Value));
    }

    [Fact]
    public void The_otlp_provider_follows_the_serilog_levels_and_never_logs_per_request_hosting_lines()
    {
        var settings = new Dictionary<string, string?>
        {
            ["Serilog:MinimumLevel:Default"] = "Information",
            ["Serilog:MinimumLevel:Override:Microsoft.AspNetCore"] = "Information",
            ["Serilog:MinimumLevel:Override:Yarp"] = "Warning",
        };

        Assert.Equal(LogLevel.Information, EffectiveLevel(settings, "AiGuard.Pipeline.StageRunner"));
        Assert.Equal(LogLevel.Warning, EffectiveLevel(settings, "Yarp.ReverseProxy.Forwarder.HttpForwarder"));
        Assert.Equal(LogLevel.Information, EffectiveLevel(settings, "Microsoft.AspNetCore.Routing.EndpointMiddleware"));
        Assert.Null(EffectiveLevel(settings, AiGuard.Hosting.AiGuardLogging.HostingDiagnostics));
    }
}
