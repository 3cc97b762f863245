using System.Text;
using System.Text.Json;
using AiGuard.Audit;
using AiGuard.Configuration;
using AiGuard.Identity;
using AiGuard.Inspection.Output;
using AiGuard.Pipeline;
using AiGuard.Protocols;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging.Abstractions;
using Yarp.ReverseProxy.Forwarder;

namespace AiGuard.Tests.Pipeline;

/// <summary>The AI-specific walk inside YARP's pipeline: parse, request stages, forward, map forwarding failures.</summary>
public class GuardPipelineTests
{
    private const string ChatBody = """{"model":"gpt-4o","messages":[{"role":"user","content":"hello"}]}""";

    private sealed class Walk
    {
        public Walk(GatewaySnapshot snapshot, string method = "POST", string path = "/v1/chat/completions")
        {
            (Recorder, Trail, Sink) = TestGateway.Recorder();
            Stages = new StageRunner(Recorder, new PipelineMetrics(TestGateway.Meters), NullLogger<StageRunner>.Instance);
            Pipeline = new GuardPipeline(Recorder, Stages, NullLogger<GuardPipeline>.Instance);
            Guard = TestGateway.Context(snapshot, method, path);
            Guard.Client = new ClientIdentity("alice", "key1", "acme", ["inference"], ["*"], ["gpt-*", "m*"]);
        }

        public DecisionRecorder Recorder { get; }

        public StageRunner Stages { get; }

        public GuardPipeline Pipeline { get; }

        public AuditTrail Trail { get; }

        public RecordingSink Sink { get; }

        public GuardContext Guard { get; }

        public HttpContext Http => Guard.HttpContext;

        public int Forwarded { get; private set; }

        /// <summary>What YARP would have sent upstream: the request body as the pipe hands it on.</summary>
        public string? ForwardedBody { get; private set; }

        public Walk WithBody(string body, string contentType = "application/json")
        {
            var bytes = Encoding.UTF8.GetBytes(body);
            Http.Request.Body = new MemoryStream(bytes);
            Http.Request.ContentLength = bytes.Length;
            Http.Request.ContentType = contentType;
            return this;
        }

        public Task RunAsync(Func<HttpContext, Task>? upstream = null) =>
            Pipeline.InvokeAsync(Http, async () =>
            {
                Forwarded++;
                var reader = Http.Request.BodyReader;
                while (true)
                {
                    var read = await reader.ReadAsync();
                    if (read.IsCompleted)
                    {
                        ForwardedBody = Encoding.UTF8.GetString(read.Buffer);
                        reader.AdvanceTo(read.Buffer.End);
                        break;
                    }

                    reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
                }

                if (upstream is not null)
                {
                    await upstream(Http);
                }
            });

        public JsonElement Problem()
        {
            using var body = JsonDocument.Parse(((MemoryStream)Http.Response.Body).ToArray());
            return body.RootElement.Clone();
        }

        public async Task<List<AuditEvent>> EventsAsync()
        {
            await Trail.StartAsync(CancellationToken.None);
            await Trail.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
            return Sink.Events;
        }

        public async Task<AuditEvent> OnlyEventAsync() => Assert.Single(await EventsAsync());
    }

    private static GatewaySnapshot Snapshot(Action<Dictionary<string, string?>>? change = null, params IGuardStage[] stages)
    {
        var settings = TestGateway.Settings();
        change?.Invoke(settings);
        return TestGateway.Configuration(settings, stages).Current;
    }

    [Fact]
    public async Task Allowed_request_is_forwarded_with_exactly_the_bytes_that_were_checked_and_not_audited()
    {
        var walk = new Walk(Snapshot()).WithBody(ChatBody);

        await walk.RunAsync();

        Assert.Equal(1, walk.Forwarded);
        Assert.Equal(ChatBody, walk.ForwardedBody);
        Assert.Equal(200, walk.Http.Response.StatusCode);
        Assert.Equal("gpt-4o", walk.Guard.Request!.Model);
        Assert.Empty(await walk.EventsAsync());
    }

    [Fact]
    public async Task A_route_that_caps_parameters_forwards_the_rewritten_body_with_its_length_and_audits_the_change()
    {
        var walk = new Walk(Snapshot(s => s["AiGuard:Policies:p:Parameters:MaxTokens"] = "5", new AiGuard.Inspection.Input.ParameterPolicyStage()))
            .WithBody("""{"model":"gpt-4o","max_tokens":900,"messages":[{"role":"user","content":"hello"}],"user":"u1"}""");
        walk.Http.Request.Headers.TransferEncoding = "chunked";

        await walk.RunAsync();

        Assert.Equal(1, walk.Forwarded);
        using var forwarded = JsonDocument.Parse(walk.ForwardedBody!);
        Assert.Equal(5, forwarded.RootElement.GetProperty("max_tokens").GetInt32());
        Assert.Equal("u1", forwarded.RootElement.GetProperty("user").GetString());
        Assert.Equal(Encoding.UTF8.GetByteCount(walk.ForwardedBody!), walk.Http.Request.ContentLength);
        Assert.Equal(0, walk.Http.Request.Headers.TransferEncoding.Count);
        var change = await walk.OnlyEventAsync();
        Assert.Equal("parameters_changed", change.Code);
        Assert.Equal("max_tokens 900 lowered to 5", change.Detail);
    }

    [Fact]
    public async Task A_body_that_must_be_rewritten_but_holds_a_lone_surrogate_elsewhere_is_refused_not_forwarded_unchanged()
    {
        var walk = new Walk(Snapshot(s => s["AiGuard:Policies:p:Parameters:MaxTokens"] = "5", new AiGuard.Inspection.Input.ParameterPolicyStage()))
            .WithBody("""{"model":"gpt-4o","max_tokens":900,"messages":[{"role":"user","content":"hello"}],"metadata":{"note":"\ud800"}}""");

        await walk.RunAsync();

        Assert.Equal(0, walk.Forwarded);
        Assert.Equal(400, walk.Http.Response.StatusCode);
        var events = await walk.EventsAsync();
        Assert.Equal(["parameters_changed", "invalid_body"], events.Select(e => e.Code));
        Assert.Equal("parse", events[1].Stage);
    }

    [Fact]
    public async Task Model_not_allowed_for_the_key_gets_403_with_the_model_field_on_openai_routes()
    {
        var walk = new Walk(Snapshot()).WithBody("""{"model":"o1-secret","messages":[{"role":"user","content":"hi"}]}""");

        await walk.RunAsync();

        Assert.Equal(0, walk.Forwarded);
        Assert.Equal(403, walk.Http.Response.StatusCode);
        var problem = walk.Problem();
        Assert.Equal("model_not_allowed", problem.GetProperty("code").GetString());
        Assert.Equal("This API key may not use the model 'o1-secret'.", problem.GetProperty("detail").GetString());
        Assert.Equal("model", problem.GetProperty("field").GetString());
        Assert.Equal("model", problem.GetProperty("error").GetProperty("param").GetString());
        var audit = await walk.OnlyEventAsync();
        Assert.Equal("authorize", audit.Stage);
        Assert.Equal("o1-secret", audit.Model);
    }

    [Fact]
    public async Task Model_not_allowed_on_an_open_inference_route_names_no_body_field()
    {
        var walk = new Walk(Snapshot(s => s["AiGuard:Policies:p:Protocol"] = ProtocolNames.OpenInferenceV2), path: "/v2/models/secret-clf/infer")
            .WithBody("""{"inputs":[{"name":"x","shape":[1,2],"datatype":"FP32","data":[1,2]}]}""");

        await walk.RunAsync();

        Assert.Equal(403, walk.Http.Response.StatusCode);
        var problem = walk.Problem();
        Assert.Equal("model_not_allowed", problem.GetProperty("code").GetString());
        Assert.False(problem.TryGetProperty("field", out _));
    }

    [Fact]
    public async Task Request_that_names_no_model_is_not_refused_for_its_model()
    {
        var walk = new Walk(Snapshot(), method: "GET", path: "/v1/models");

        await walk.RunAsync();

        Assert.Equal(1, walk.Forwarded);
        Assert.Equal(200, walk.Http.Response.StatusCode);
    }

    [Fact]
    public async Task A_model_named_in_the_path_is_checked_too()
    {
        var allowed = new Walk(Snapshot(), method: "GET", path: "/v1/models/gpt-4o");
        var refused = new Walk(Snapshot(), method: "GET", path: "/v1/models/o1-secret");

        await allowed.RunAsync();
        await refused.RunAsync();

        Assert.Equal(1, allowed.Forwarded);
        Assert.Equal(403, refused.Http.Response.StatusCode);
        Assert.Equal("model_not_allowed", refused.Problem().GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_path_that_is_no_operation_of_the_protocol_gets_404_operation_not_supported()
    {
        var walk = new Walk(Snapshot(), method: "DELETE", path: "/v1/chat/completions");

        await walk.RunAsync();

        Assert.Equal(0, walk.Forwarded);
        Assert.Equal(404, walk.Http.Response.StatusCode);
        var problem = walk.Problem();
        Assert.Equal("operation_not_supported", problem.GetProperty("code").GetString());
        Assert.Equal("DELETE /v1/chat/completions is not an operation of the openai protocol that AiGuard can inspect.", problem.GetProperty("detail").GetString());
        Assert.Equal("parse", (await walk.OnlyEventAsync()).Stage);
    }

    [Fact]
    public async Task The_routes_removed_prefix_is_not_part_of_the_protocol_path()
    {
        var snapshot = Snapshot(s => s["ReverseProxy:Routes:chat:Transforms:0:PathRemovePrefix"] = "/openai");
        var prefixed = new Walk(snapshot, path: "/openai/v1/chat/completions").WithBody(ChatBody);
        var bare = new Walk(snapshot, path: "/v1/chat/completions").WithBody(ChatBody);

        await prefixed.RunAsync();
        await bare.RunAsync();

        Assert.Equal(1, prefixed.Forwarded);
        Assert.Equal(1, bare.Forwarded);
    }

    [Fact]
    public async Task A_path_that_is_not_percent_encoded_utf8_gets_400_invalid_path()
    {
        var walk = new Walk(Snapshot(), method: "GET", path: "/v1/models/gpt-%FF");
        walk.Http.Features.Get<IHttpRequestFeature>()!.RawTarget = "/v1/models/gpt-%FF";

        await walk.RunAsync();

        Assert.Equal(0, walk.Forwarded);
        Assert.Equal(400, walk.Http.Response.StatusCode);
        var problem = walk.Problem();
        Assert.Equal("invalid_path", problem.GetProperty("code").GetString());
        Assert.Equal("The request path is not valid percent-encoded UTF-8.", problem.GetProperty("detail").GetString());
        Assert.Equal("parse", (await walk.OnlyEventAsync()).Stage);
    }

    [Fact]
    public async Task Body_over_the_limit_gets_413_recorded_at_the_limits_stage()
    {
        var walk = new Walk(Snapshot(s => s["AiGuard:Policies:p:Limits:MaxBodyBytes"] = "32")).WithBody(ChatBody);

        await walk.RunAsync();

        Assert.Equal(0, walk.Forwarded);
        Assert.Equal(413, walk.Http.Response.StatusCode);
        Assert.Equal("body_too_large", walk.Problem().GetProperty("code").GetString());
        Assert.Equal("limits", (await walk.OnlyEventAsync()).Stage);
    }

    [Fact]
    public async Task Body_of_another_media_type_gets_415_recorded_at_the_parse_stage()
    {
        var walk = new Walk(Snapshot()).WithBody(ChatBody, "text/plain");

        await walk.RunAsync();

        Assert.Equal(0, walk.Forwarded);
        Assert.Equal(415, walk.Http.Response.StatusCode);
        Assert.Equal("unsupported_media_type", walk.Problem().GetProperty("code").GetString());
        Assert.Equal("parse", (await walk.OnlyEventAsync()).Stage);
    }

    [Fact]
    public async Task Body_that_is_not_json_gets_400_malformed_json_without_a_field()
    {
        var walk = new Walk(Snapshot()).WithBody("{\"model\": nope");

        await walk.RunAsync();

        Assert.Equal(0, walk.Forwarded);
        Assert.Equal(400, walk.Http.Response.StatusCode);
        var problem = walk.Problem();
        Assert.Equal("malformed_json", problem.GetProperty("code").GetString());
        Assert.False(problem.TryGetProperty("field", out _));
        Assert.Equal("parse", (await walk.OnlyEventAsync()).Stage);
    }

    [Fact]
    public async Task Body_that_breaks_the_protocol_gets_400_naming_the_field()
    {
        var walk = new Walk(Snapshot()).WithBody("""{"messages":[{"role":"user","content":"hi"}]}""");

        await walk.RunAsync();

        Assert.Equal(400, walk.Http.Response.StatusCode);
        var problem = walk.Problem();
        Assert.Equal("invalid_body", problem.GetProperty("code").GetString());
        Assert.Equal("model", problem.GetProperty("field").GetString());
        Assert.Equal("'model' is required.", problem.GetProperty("detail").GetString());
        Assert.Equal("model", (await walk.OnlyEventAsync()).Field);
    }

    [Fact]
    public async Task Every_request_stage_runs_in_order_when_none_objects()
    {
        var seen = new List<string>();
        var stages = new[]
        {
            new ScriptedStage("first", 210, _ => { seen.Add("first"); return default; }),
            new ScriptedStage("second", 220, _ => { seen.Add("second"); return default; }),
            new ScriptedStage("third", 230, _ => { seen.Add("third"); return default; }),
        };
        var walk = new Walk(Snapshot(stages: stages)).WithBody(ChatBody);

        await walk.RunAsync();

        Assert.Equal(["first", "second", "third"], seen);
        Assert.Equal(1, walk.Forwarded);
        Assert.Empty(await walk.EventsAsync());
    }

    [Fact]
    public async Task A_refusing_stage_stops_the_request_and_later_stages_do_not_run()
    {
        var later = 0;
        var walk = new Walk(Snapshot(stages:
        [
            new ScriptedStage("refuser", 210, _ => new(GuardDecision.Refuse(451, "test_refused", "No.", "messages[0].content"))),
            new ScriptedStage("later", 220, _ => { later++; return default; }),
        ])).WithBody(ChatBody);

        await walk.RunAsync();

        Assert.Equal(0, walk.Forwarded);
        Assert.Equal(0, later);
        Assert.Equal(451, walk.Http.Response.StatusCode);
        Assert.Equal("test_refused", walk.Problem().GetProperty("code").GetString());
        var audit = await walk.OnlyEventAsync();
        Assert.Equal("refuser", audit.Stage);
        Assert.Equal("messages[0].content", audit.Field);
    }

    [Fact]
    public async Task A_refusal_decided_after_an_await_is_honoured()
    {
        var walk = new Walk(Snapshot(stages:
            new ScriptedStage("slow", 210, async _ =>
            {
                await Task.Yield();
                return GuardDecision.Refuse(409, "test_async", "Refused later.");
            }))).WithBody(ChatBody);

        await walk.RunAsync();

        Assert.Equal(0, walk.Forwarded);
        Assert.Equal(409, walk.Http.Response.StatusCode);
        Assert.Equal("slow", (await walk.OnlyEventAsync()).Stage);
    }

    [Fact]
    public async Task A_change_by_a_stage_is_audited_and_the_request_goes_on()
    {
        var walk = new Walk(Snapshot(stages:
            new ScriptedStage("changer", 210, _ => new(GuardDecision.Modify("test_changed", "Stripped a parameter.", "logit_bias"))))).WithBody(ChatBody);

        await walk.RunAsync();

        Assert.Equal(1, walk.Forwarded);
        Assert.Equal(200, walk.Http.Response.StatusCode);
        var audit = await walk.OnlyEventAsync();
        Assert.Equal("modify", audit.Decision);
        Assert.Equal("changer", audit.Stage);
        Assert.Equal("test_changed", audit.Code);
        Assert.Equal("logit_bias", audit.Field);
    }

    [Fact]
    public async Task A_failing_stage_fails_closed_with_503_guard_unavailable()
    {
        var walk = new Walk(Snapshot(stages: new ScriptedStage("fragile", 210, _ => throw new InvalidOperationException("boom")))).WithBody(ChatBody);

        await walk.RunAsync();

        Assert.Equal(0, walk.Forwarded);
        Assert.Equal(503, walk.Http.Response.StatusCode);
        var problem = walk.Problem();
        Assert.Equal("guard_unavailable", problem.GetProperty("code").GetString());
        Assert.Equal("The stage 'fragile' could not decide; the route fails closed.", problem.GetProperty("detail").GetString());
        Assert.DoesNotContain("boom", problem.ToString(), StringComparison.Ordinal);
        Assert.Equal("fragile", (await walk.OnlyEventAsync()).Stage);
    }

    [Fact]
    public async Task A_failing_stage_on_a_fail_open_route_is_passed_audited()
    {
        var walk = new Walk(Snapshot(
            s => s["AiGuard:Policies:p:FailOpen:0"] = "fragile",
            new ScriptedStage("fragile", 210, _ => throw new InvalidOperationException("boom")))).WithBody(ChatBody);

        await walk.RunAsync();

        Assert.Equal(1, walk.Forwarded);
        Assert.Equal(200, walk.Http.Response.StatusCode);
        var audit = await walk.OnlyEventAsync();
        Assert.Equal("modify", audit.Decision);
        Assert.Equal("guard_failed_open", audit.Code);
        Assert.Equal("fragile", audit.Stage);
        Assert.Equal("The stage 'fragile' failed; the route fails open, so the request went on unchecked by it.", audit.Detail);
    }

    [Fact]
    public async Task A_stage_cancelled_while_the_client_is_still_there_is_a_failure_of_the_stage()
    {
        var walk = new Walk(Snapshot(stages: new ScriptedStage("timeouts", 210, _ => throw new OperationCanceledException()))).WithBody(ChatBody);

        await walk.RunAsync();

        Assert.Equal(503, walk.Http.Response.StatusCode);
        Assert.Equal("guard_unavailable", walk.Problem().GetProperty("code").GetString());
    }

    [Fact]
    public async Task When_the_client_went_away_a_cancelled_stage_is_neither_answered_nor_audited()
    {
        using var client = new CancellationTokenSource();
        var walk = new Walk(Snapshot(stages: new ScriptedStage("waits", 210, _ =>
        {
            client.Cancel();
            throw new OperationCanceledException(client.Token);
        }))).WithBody(ChatBody);
        walk.Http.RequestAborted = client.Token;

        await Assert.ThrowsAsync<OperationCanceledException>(() => walk.RunAsync());

        Assert.Equal(0, walk.Forwarded);
        Assert.Equal(0, walk.Http.Response.Body.Length);
        Assert.Empty(await walk.EventsAsync());
    }

    [Theory]
    [InlineData(ForwarderError.RequestTimedOut, 504, "upstream_timeout", "The model server did not answer in time.")]
    [InlineData(ForwarderError.NoAvailableDestinations, 503, "upstream_unavailable", "No healthy model server is available for this route.")]
    [InlineData(ForwarderError.Request, 502, "upstream_error", "The model server could not be reached or its answer was cut off.")]
    [InlineData(ForwarderError.ResponseBodyDestination, 502, "upstream_error", "The model server could not be reached or its answer was cut off.")]
    public async Task Forwarding_failures_become_gateway_problems_recorded_at_the_forward_stage(ForwarderError error, int status, string code, string detail)
    {
        var walk = new Walk(Snapshot()).WithBody(ChatBody);

        await walk.RunAsync(http =>
        {
            http.Features.Set<IForwarderErrorFeature>(new ForwarderFailure(error));
            return Task.CompletedTask;
        });

        Assert.Equal(status, walk.Http.Response.StatusCode);
        var problem = walk.Problem();
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.Equal(detail, problem.GetProperty("detail").GetString());
        Assert.Equal("forward", (await walk.OnlyEventAsync()).Stage);
    }

    [Fact]
    public async Task A_request_header_outside_ascii_that_could_not_be_forwarded_gets_400_naming_the_header()
    {
        var walk = new Walk(Snapshot()).WithBody(ChatBody);
        walk.Http.Request.Headers["x-plain"] = "ascii";
        walk.Http.Request.Headers["x-name"] = "Zoë";

        await walk.RunAsync(http =>
        {
            http.Features.Set<IForwarderErrorFeature>(new ForwarderFailure(ForwarderError.Request));
            return Task.CompletedTask;
        });

        Assert.Equal(400, walk.Http.Response.StatusCode);
        var problem = walk.Problem();
        Assert.Equal("invalid_header", problem.GetProperty("code").GetString());
        Assert.Equal("x-name", problem.GetProperty("field").GetString());
        Assert.Equal("The header 'x-name' holds characters outside ASCII, which cannot be forwarded.", problem.GetProperty("detail").GetString());
    }

    [Theory]
    [InlineData(ForwarderError.RequestCanceled)]
    [InlineData(ForwarderError.RequestBodyClient)]
    [InlineData(ForwarderError.ResponseBodyClient)]
    [InlineData(ForwarderError.UpgradeRequestClient)]
    [InlineData(ForwarderError.UpgradeResponseClient)]
    public async Task When_the_client_went_away_during_forwarding_nothing_is_answered_or_audited(ForwarderError error)
    {
        var walk = new Walk(Snapshot()).WithBody(ChatBody);

        await walk.RunAsync(http =>
        {
            http.Features.Set<IForwarderErrorFeature>(new ForwarderFailure(error));
            return Task.CompletedTask;
        });

        Assert.Equal(200, walk.Http.Response.StatusCode);
        Assert.Equal(0, walk.Http.Response.Body.Length);
        Assert.Empty(await walk.EventsAsync());
    }

    [Fact]
    public async Task A_forwarding_failure_after_the_answer_started_is_still_audited()
    {
        var walk = new Walk(Snapshot()).WithBody(ChatBody);

        await walk.RunAsync(http =>
        {
            http.Features.Set<IHttpResponseFeature>(new StartedResponse());
            http.Features.Set<IForwarderErrorFeature>(new ForwarderFailure(ForwarderError.ResponseBodyDestination));
            return Task.CompletedTask;
        });

        Assert.Equal(0, walk.Http.Response.Body.Length);
        var audit = await walk.OnlyEventAsync();
        Assert.Equal("forward", audit.Stage);
        Assert.Equal("upstream_error", audit.Code);
    }

    [Fact]
    public async Task A_failure_of_the_gateway_while_forwarding_is_a_500_that_reveals_nothing()
    {
        var walk = new Walk(Snapshot()).WithBody(ChatBody);

        await walk.RunAsync(_ => throw new InvalidOperationException("secret internals"));

        Assert.Equal(500, walk.Http.Response.StatusCode);
        var problem = walk.Problem();
        Assert.Equal("internal_error", problem.GetProperty("code").GetString());
        Assert.DoesNotContain("secret internals", problem.ToString(), StringComparison.Ordinal);
        Assert.Equal("gateway", (await walk.OnlyEventAsync()).Stage);
    }

    [Fact]
    public async Task A_failure_of_the_gateway_after_the_answer_started_cuts_the_connection()
    {
        var walk = new Walk(Snapshot()).WithBody(ChatBody);
        var lifetime = new RecordingLifetime();
        walk.Http.Features.Set<IHttpRequestLifetimeFeature>(lifetime);

        await walk.RunAsync(http =>
        {
            http.Features.Set<IHttpResponseFeature>(new StartedResponse());
            throw new InvalidOperationException("failed mid-stream");
        });

        Assert.True(lifetime.Aborted);
        Assert.Equal("internal_error", (await walk.OnlyEventAsync()).Code);
    }

    [Fact]
    public async Task A_failure_of_the_gateway_before_the_answer_started_does_not_cut_the_connection()
    {
        var walk = new Walk(Snapshot()).WithBody(ChatBody);
        var lifetime = new RecordingLifetime();
        walk.Http.Features.Set<IHttpRequestLifetimeFeature>(lifetime);

        await walk.RunAsync(_ => throw new InvalidOperationException("early"));

        Assert.False(lifetime.Aborted);
        Assert.Equal(500, walk.Http.Response.StatusCode);
    }

    [Fact]
    public async Task A_second_failure_after_a_refusal_does_not_cut_the_connection()
    {
        var walk = new Walk(Snapshot()).WithBody(ChatBody);
        var lifetime = new RecordingLifetime();
        walk.Http.Features.Set<IHttpRequestLifetimeFeature>(lifetime);

        await walk.RunAsync(async http =>
        {
            await walk.Recorder.RefuseAsync(walk.Guard, "test", GuardDecision.Refuse(502, ProblemCodes.UpstreamError, "first"));
            throw new InvalidOperationException("second");
        });

        Assert.False(lifetime.Aborted);
        Assert.Equal(502, walk.Http.Response.StatusCode);
        Assert.Equal("upstream_error", (await walk.OnlyEventAsync()).Code);
    }

    [Fact]
    public async Task When_the_client_went_away_while_forwarding_the_cancellation_is_not_answered()
    {
        using var client = new CancellationTokenSource();
        var walk = new Walk(Snapshot()).WithBody(ChatBody);
        walk.Http.RequestAborted = client.Token;

        await Assert.ThrowsAsync<OperationCanceledException>(() => walk.RunAsync(_ =>
        {
            client.Cancel();
            throw new OperationCanceledException(client.Token);
        }));

        Assert.Empty(await walk.EventsAsync());
    }

    [Fact]
    public async Task A_cancellation_while_the_client_is_still_there_is_a_gateway_failure()
    {
        var walk = new Walk(Snapshot()).WithBody(ChatBody);

        await walk.RunAsync(_ => throw new OperationCanceledException());

        Assert.Equal(500, walk.Http.Response.StatusCode);
    }

    [Fact]
    public async Task The_last_event_of_a_stream_without_its_closing_blank_line_still_reaches_the_client()
    {
        var walk = new Walk(Snapshot()).WithBody(ChatBody);
        var client = walk.Http.Response.Body;
        const string lastEvent = """data: {"object":"chat.completion.chunk","model":"gpt-4o","choices":[{"index":0,"delta":{"content":"bye"}}]}""";

        await walk.RunAsync(async http =>
        {
            var filter = new EventStreamFilter(http.Response.Body, walk.Guard, walk.Stages, walk.Recorder);
            http.Response.Body = filter;
            await filter.WriteAsync(Encoding.UTF8.GetBytes(lastEvent));
        });

        Assert.Same(client, walk.Http.Response.Body);
        Assert.Equal(lastEvent, Encoding.UTF8.GetString(((MemoryStream)client).ToArray()));
    }

    [Fact]
    public async Task The_pipeline_refuses_to_run_without_the_gate_before_it()
    {
        var pipeline = new Walk(Snapshot()).Pipeline;

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => pipeline.InvokeAsync(new DefaultHttpContext(), () => Task.CompletedTask));

        Assert.Equal("GuardMiddleware must run before the proxy pipeline.", error.Message);
    }

    /// <summary>A request stage that does what the test says.</summary>
    private sealed class ScriptedStage(string name, int order, Func<GuardContext, ValueTask<GuardDecision>> decide) : IGuardStage
    {
        public string Name => name;

        public int Order => order;

        public StagePhases Phases => StagePhases.Request;

        public bool AppliesTo(RoutePolicy route) => true;

        public ValueTask<GuardDecision> OnRequestAsync(GuardContext context) => decide(context);
    }

    private sealed class ForwarderFailure(ForwarderError error) : IForwarderErrorFeature
    {
        public ForwarderError Error => error;

        public Exception? Exception => null;
    }

    private sealed class StartedResponse : HttpResponseFeature
    {
        public override bool HasStarted => true;
    }

    private sealed class RecordingLifetime : IHttpRequestLifetimeFeature
    {
        public CancellationToken RequestAborted { get; set; }

        public bool Aborted { get; private set; }

        public void Abort() => Aborted = true;
    }
}
