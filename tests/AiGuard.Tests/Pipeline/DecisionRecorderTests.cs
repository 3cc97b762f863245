using System.Text.Json;
using AiGuard.Audit;
using AiGuard.Identity;
using AiGuard.Pipeline;
using AiGuard.Protocols;

namespace AiGuard.Tests.Pipeline;

public class DecisionRecorderTests
{
    private static JsonElement Body(GuardContext guard)
    {
        using var body = JsonDocument.Parse(((MemoryStream)guard.HttpContext.Response.Body).ToArray());
        return body.RootElement.Clone();
    }

    private static async Task<List<AuditEvent>> Events(AuditTrail trail, RecordingSink sink)
    {
        await trail.StartAsync(CancellationToken.None);
        await trail.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
        return sink.Events;
    }

    private static async Task<AuditEvent> OnlyEvent(AuditTrail trail, RecordingSink sink) => Assert.Single(await Events(trail, sink));

    [Fact]
    public async Task A_refusal_after_an_audited_change_has_an_incident_id_of_its_own_that_names_the_change()
    {
        var (recorder, trail, sink) = TestGateway.Recorder();
        var guard = TestGateway.Context(TestGateway.Snapshot());

        recorder.RecordChange(guard, "output_hardening", GuardDecision.ModifyByPolicy(ProblemCodes.OutputHardened, "round(2)"));
        recorder.RecordChange(guard, "parameter_policy", GuardDecision.Modify(ProblemCodes.ParametersChanged, "max_tokens set to 256"));
        var changeIncident = guard.IncidentId;
        await recorder.RefuseAsync(guard, "prompt_injection", GuardDecision.Refuse(400, ProblemCodes.PromptInjection, "No."));

        var events = await Events(trail, sink);
        Assert.Equal(2, events.Count);
        var (change, refusal) = (events[0], events[1]);
        Assert.Equal(changeIncident, change.IncidentId);
        Assert.Null(change.RelatedIncidentId);
        Assert.NotEqual(change.IncidentId, refusal.IncidentId);
        Assert.Equal(change.IncidentId, refusal.RelatedIncidentId);
        Assert.Equal(refusal.IncidentId, Body(guard).GetProperty("incidentId").GetString());
        Assert.Equal(refusal.IncidentId, guard.HttpContext.Response.Headers[ProblemWriter.IncidentHeader].ToString());
    }

    [Fact]
    public async Task A_refusal_after_only_a_route_wide_change_keeps_the_first_incident_id()
    {
        var (recorder, trail, sink) = TestGateway.Recorder();
        var guard = TestGateway.Context(TestGateway.Snapshot());

        recorder.RecordChange(guard, "output_hardening", GuardDecision.ModifyByPolicy(ProblemCodes.OutputHardened, "round(2)"));
        var first = guard.IncidentId;
        await recorder.RefuseAsync(guard, StageNames.Parse, GuardDecision.Refuse(400, ProblemCodes.MalformedJson, "bad"));

        var refusal = await OnlyEvent(trail, sink);
        Assert.Equal(first, refusal.IncidentId);
        Assert.Null(refusal.RelatedIncidentId);
    }

    [Fact]
    public async Task The_model_of_an_event_is_the_bodys_then_the_refused_bodys_then_the_paths()
    {
        async Task<string?> ModelOf(string? body, string? refused, string? path)
        {
            var (recorder, trail, sink) = TestGateway.Recorder();
            var guard = TestGateway.Context(TestGateway.Snapshot());
            guard.Request = body is null ? null : new InferenceRequest { Protocol = ProtocolNames.OpenAi, Operation = "chat.completions", Model = body };
            guard.RefusedModel = refused;
            guard.Operation = path is null ? null : new ProtocolOperation("infer", HasBody: true, ModelFromPath: path);
            await recorder.RefuseAsync(guard, StageNames.Authorize, GuardDecision.Refuse(403, ProblemCodes.ModelNotAllowed, "No."));
            return (await OnlyEvent(trail, sink)).Model;
        }

        Assert.Equal("body", await ModelOf("body", "refused", "path"));
        Assert.Equal("refused", await ModelOf(null, "refused", "path"));
        Assert.Equal("path", await ModelOf(null, null, "path"));
        Assert.Null(await ModelOf(null, null, null));
    }

    [Fact]
    public async Task The_key_id_of_an_event_is_the_clients_else_the_one_presented()
    {
        var (recorder, trail, sink) = TestGateway.Recorder();
        var guard = TestGateway.Context(TestGateway.Snapshot());
        guard.PresentedKeyId = "presented";
        guard.Client = new ClientIdentity("alice", "key1", "acme", new HashSet<string>(), [], []);
        await recorder.RefuseAsync(guard, StageNames.Authorize, GuardDecision.Refuse(403, ProblemCodes.RouteNotAllowed, "No."));
        Assert.Equal("key1", (await OnlyEvent(trail, sink)).KeyId);

        (recorder, trail, sink) = TestGateway.Recorder();
        guard = TestGateway.Context(TestGateway.Snapshot());
        guard.PresentedKeyId = "presented";
        await recorder.RefuseAsync(guard, StageNames.Authenticate, GuardDecision.Refuse(401, ProblemCodes.ExpiredApiKey, "No."));
        Assert.Equal("presented", (await OnlyEvent(trail, sink)).KeyId);
    }

    [Fact]
    public async Task Only_a_refusal_with_a_wait_gets_retry_after()
    {
        var (recorder, _, _) = TestGateway.Recorder();
        var waiting = TestGateway.Context(TestGateway.Snapshot());
        waiting.RetryAfterSeconds = 7;
        var plain = TestGateway.Context(TestGateway.Snapshot());

        await recorder.RefuseAsync(waiting, "rate_limit", GuardDecision.Refuse(429, ProblemCodes.RateLimited, "Slow down."));
        await recorder.RefuseAsync(plain, "rate_limit", GuardDecision.Refuse(429, ProblemCodes.RateLimited, "Slow down."));

        Assert.Equal("7", waiting.HttpContext.Response.Headers.RetryAfter.ToString());
        Assert.Equal(0, plain.HttpContext.Response.Headers.RetryAfter.Count);
    }

    [Fact]
    public async Task Refusal_is_problem_json_with_code_status_field_and_incident_id()
    {
        var (recorder, trail, sink) = TestGateway.Recorder();
        var guard = TestGateway.Context(TestGateway.Snapshot(ProtocolNames.OpenInferenceV2), path: "/v2/models/m/infer");
        guard.Client = new ClientIdentity("alice", "key1", "acme", new HashSet<string>(), [], []);

        var written = await recorder.RefuseAsync(guard, StageNames.Parse, GuardDecision.Refuse(400, ProblemCodes.InvalidBody, "'inputs' is required.", "inputs"));

        Assert.True(written);
        var response = guard.HttpContext.Response;
        Assert.Equal(400, response.StatusCode);
        Assert.Equal("application/problem+json", response.ContentType);
        Assert.Equal("no-store", response.Headers.CacheControl.ToString());
        Assert.Equal(guard.IncidentId, response.Headers[ProblemWriter.IncidentHeader].ToString());
        var root = Body(guard);
        Assert.Equal("urn:aiguard:problem:invalid_body", root.GetProperty("type").GetString());
        Assert.Equal("Request body does not match the protocol", root.GetProperty("title").GetString());
        Assert.Equal(400, root.GetProperty("status").GetInt32());
        Assert.Equal("invalid_body", root.GetProperty("code").GetString());
        Assert.Equal("inputs", root.GetProperty("field").GetString());
        Assert.Equal("/v2/models/m/infer", root.GetProperty("instance").GetString());
        Assert.Equal(guard.IncidentId, root.GetProperty("incidentId").GetString());
        Assert.False(root.TryGetProperty("error", out _));

        var audit = await OnlyEvent(trail, sink);
        Assert.Equal(guard.IncidentId, audit.IncidentId);
        Assert.Equal("refuse", audit.Decision);
        Assert.Equal("parse", audit.Stage);
        Assert.Equal("invalid_body", audit.Code);
        Assert.Equal(400, audit.Status);
        Assert.Equal("alice", audit.ClientId);
        Assert.Equal("key1", audit.KeyId);
        Assert.Equal("chat", audit.RouteId);
        Assert.Equal("inputs", audit.Field);
    }

    [Fact]
    public async Task On_openai_routes_the_problem_also_carries_an_openai_error_object()
    {
        var (recorder, _, _) = TestGateway.Recorder();
        var guard = TestGateway.Context(TestGateway.Snapshot());

        await recorder.RefuseAsync(guard, StageNames.Authenticate, GuardDecision.Refuse(401, ProblemCodes.InvalidApiKey, "The API key is not valid."));

        var error = Body(guard).GetProperty("error");
        Assert.Equal($"The API key is not valid. (incident {guard.IncidentId})", error.GetProperty("message").GetString());
        Assert.Equal("authentication_error", error.GetProperty("type").GetString());
        Assert.Equal("invalid_api_key", error.GetProperty("code").GetString());
        Assert.Equal(JsonValueKind.Null, error.GetProperty("param").ValueKind);
        Assert.Equal("Bearer realm=\"aiguard\"", guard.HttpContext.Response.Headers.WWWAuthenticate.ToString());
    }

    [Theory]
    [InlineData(400, "invalid_request_error")]
    [InlineData(401, "authentication_error")]
    [InlineData(403, "permission_error")]
    [InlineData(413, "invalid_request_error")]
    [InlineData(429, "rate_limit_error")]
    [InlineData(500, "server_error")]
    [InlineData(502, "server_error")]
    public void Openai_error_types_follow_the_status(int status, string type)
    {
        Assert.Equal(type, ProblemWriter.OpenAiErrorType(status));
    }

    [Fact]
    public async Task Problem_detail_keeps_quotes_and_brackets_readable()
    {
        var (recorder, _, _) = TestGateway.Recorder();
        var guard = TestGateway.Context(TestGateway.Snapshot());

        await recorder.RefuseAsync(guard, StageNames.Authenticate, GuardDecision.Refuse(401, ProblemCodes.MissingCredentials, "Send 'Authorization: Bearer <key>'."));

        var text = System.Text.Encoding.UTF8.GetString(((MemoryStream)guard.HttpContext.Response.Body).ToArray());
        Assert.Contains("Send 'Authorization: Bearer <key>'.", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_request_is_refused_and_audited_only_once()
    {
        var (recorder, trail, sink) = TestGateway.Recorder();
        var guard = TestGateway.Context(TestGateway.Snapshot());

        Assert.True(await recorder.RefuseAsync(guard, StageNames.Parse, GuardDecision.Refuse(400, ProblemCodes.MalformedJson, "bad")));
        Assert.False(await recorder.RefuseAsync(guard, StageNames.Forward, GuardDecision.Refuse(502, ProblemCodes.UpstreamError, "late")));

        Assert.Equal(400, guard.HttpContext.Response.StatusCode);
        Assert.Equal("malformed_json", (await OnlyEvent(trail, sink)).Code);
    }

    [Fact]
    public async Task Continue_and_modify_cannot_be_written_as_a_problem()
    {
        var (recorder, _, _) = TestGateway.Recorder();

        await Assert.ThrowsAsync<ArgumentException>(async () => await recorder.RefuseAsync(TestGateway.Context(TestGateway.Snapshot()), "x", GuardDecision.Continue));
        await Assert.ThrowsAsync<ArgumentException>(async () => await recorder.RefuseAsync(TestGateway.Context(TestGateway.Snapshot()), "x", GuardDecision.Modify("c", "d")));
        Assert.Throws<ArgumentException>(() => recorder.RecordChange(TestGateway.Context(TestGateway.Snapshot()), "x", GuardDecision.Continue));
    }

    [Fact]
    public async Task A_change_is_audited_but_a_route_wide_policy_change_is_not()
    {
        var (recorder, trail, sink) = TestGateway.Recorder();
        var guard = TestGateway.Context(TestGateway.Snapshot());

        recorder.RecordChange(guard, "output_hardening", GuardDecision.ModifyByPolicy(ProblemCodes.OutputHardened, "round(2)"));
        recorder.RecordChange(guard, "output_hardening", GuardDecision.Modify(ProblemCodes.OutputHardened, "label-only"));

        var audit = await OnlyEvent(trail, sink);
        Assert.Equal("modify", audit.Decision);
        Assert.Equal("output_hardening", audit.Stage);
        Assert.Equal(0, audit.Status);
        Assert.Equal("label-only", audit.Detail);
        Assert.Equal(200, guard.HttpContext.Response.StatusCode);
        Assert.Equal(0, ((MemoryStream)guard.HttpContext.Response.Body).Length);
    }

    [Fact]
    public async Task Client_controlled_text_in_the_audit_event_is_a_bounded_excerpt()
    {
        var (recorder, trail, sink) = TestGateway.Recorder();
        var guard = TestGateway.Context(TestGateway.Snapshot(), path: "/" + new string('p', 5000));
        var model = new string('m', 900_000);

        await recorder.RefuseAsync(guard, "authorize", GuardDecision.Refuse(403, ProblemCodes.ModelNotAllowed, $"This API key may not use the model '{Excerpt.Of(model)}'.", "model\nforged"));

        var audit = await OnlyEvent(trail, sink);
        Assert.True(audit.Path.Length < AuditEvent.MaxPathLength + 40, $"path of {audit.Path.Length} characters");
        Assert.True(audit.Detail!.Length < AuditEvent.MaxDetailLength + 40, $"detail of {audit.Detail.Length} characters");
        Assert.Equal("model\\u000aforged", audit.Field);
        Assert.True(((MemoryStream)guard.HttpContext.Response.Body).Length < 2000);
    }

    [Fact]
    public async Task Full_audit_queue_drops_and_counts_instead_of_blocking()
    {
        var (recorder, trail, _) = TestGateway.Recorder(capacity: 2);
        var snapshot = TestGateway.Snapshot();

        for (var i = 0; i < 5; i++)
        {
            await recorder.RefuseAsync(TestGateway.Context(snapshot), StageNames.Parse, GuardDecision.Refuse(400, ProblemCodes.MalformedJson, "bad"));
        }

        Assert.Equal(2, trail.AcceptedCount);
        Assert.Equal(3, trail.DroppedCount);
    }

    [Fact]
    public void Incident_ids_are_unique_and_time_ordered()
    {
        var ids = Enumerable.Range(0, 1000).Select(_ => IncidentId.New()).ToList();

        Assert.Equal(ids.Count, ids.Distinct().Count());
        // UUIDv7: the first 48 bits are the millisecond timestamp, so ids sort by time of creation.
        var stamps = ids.Select(id => id.Substring(4, 12)).ToList();
        Assert.Equal(stamps.Order(StringComparer.Ordinal), stamps);
    }

    [Fact]
    public void A_refusal_needs_an_error_status_and_a_code_and_the_default_decision_continues()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => GuardDecision.Refuse(200, "x", "d"));
        Assert.Throws<ArgumentException>(() => GuardDecision.Refuse(400, string.Empty, "d"));
        Assert.True(default(GuardDecision).IsContinue);
        Assert.False(GuardDecision.ModifyByPolicy("c", "d").Audited);
        Assert.True(GuardDecision.Modify("c", "d").Audited);
    }

    [Fact]
    public async Task A_refusal_replaces_whatever_the_answer_held_before()
    {
        var (recorder, _, _) = TestGateway.Recorder();
        var guard = TestGateway.Context(TestGateway.Snapshot());
        guard.HttpContext.Response.StatusCode = 200;
        guard.HttpContext.Response.Headers["x-upstream-secret"] = "leak";

        await recorder.RefuseAsync(guard, StageNames.Forward, GuardDecision.Refuse(502, ProblemCodes.UpstreamError, "bad"));

        Assert.Equal(502, guard.HttpContext.Response.StatusCode);
        Assert.False(guard.HttpContext.Response.Headers.ContainsKey("x-upstream-secret"));
    }

    [Fact]
    public async Task A_refusal_after_the_answer_started_is_audited_but_writes_nothing()
    {
        var (recorder, trail, sink) = TestGateway.Recorder();
        var guard = TestGateway.Context(TestGateway.Snapshot());
        guard.HttpContext.Features.Set<Microsoft.AspNetCore.Http.Features.IHttpResponseFeature>(new StartedResponse());

        var written = await recorder.RefuseAsync(guard, StageNames.Forward, GuardDecision.Refuse(502, ProblemCodes.UpstreamError, "cut"));

        Assert.False(written);
        Assert.Equal(0, guard.HttpContext.Response.Body.Length);
        Assert.Equal("upstream_error", (await OnlyEvent(trail, sink)).Code);
    }

    [Fact]
    public async Task The_audit_event_records_the_request_as_the_client_sent_it()
    {
        var clock = new ManualClock(new DateTimeOffset(2026, 11, 22, 12, 0, 0, TimeSpan.Zero));
        var (recorder, trail, sink) = TestGateway.Recorder(time: clock);
        var guard = TestGateway.Context(TestGateway.Snapshot(), method: "PUT", path: "/v1/chat/completions");
        guard.HttpContext.Connection.RemoteIpAddress = System.Net.IPAddress.Parse("192.0.2.7");
        guard.Client = new ClientIdentity("alice", "key1", "acme", new HashSet<string>(), [], []);
        guard.Request = new InferenceRequest { Protocol = ProtocolNames.OpenAi, Operation = "chat.completions", Model = "gpt-4o" };

        await recorder.RefuseAsync(guard, "authorize", GuardDecision.Refuse(403, ProblemCodes.ModelNotAllowed, "No."));

        var audit = await OnlyEvent(trail, sink);
        Assert.Equal(clock.Now, audit.Timestamp);
        Assert.Equal("PUT", audit.Method);
        Assert.Equal("/v1/chat/completions", audit.Path);
        Assert.Equal("gpt-4o", audit.Model);
        Assert.Equal("acme", audit.Tenant);
        Assert.Equal("No.", audit.Detail);
        Assert.Equal("192.0.2.7", audit.RemoteAddress);
        Assert.Null(audit.Field);
    }

    [Fact]
    public async Task A_request_has_an_incident_id_once_a_decision_about_it_was_recorded()
    {
        var (recorder, _, _) = TestGateway.Recorder();
        var guard = TestGateway.Context(TestGateway.Snapshot());

        Assert.False(guard.HasIncident);
        await recorder.RefuseAsync(guard, StageNames.Parse, GuardDecision.Refuse(400, ProblemCodes.MalformedJson, "bad"));

        Assert.True(guard.HasIncident);
        Assert.StartsWith("inc_", guard.IncidentId, StringComparison.Ordinal);
        Assert.Equal(36, guard.IncidentId.Length);
    }

    [Fact]
    public async Task Misuse_of_the_recorder_is_explained()
    {
        var (recorder, _, _) = TestGateway.Recorder();

        var refusal = await Assert.ThrowsAsync<ArgumentException>(async () => await recorder.RefuseAsync(TestGateway.Context(TestGateway.Snapshot()), "x", GuardDecision.Continue));
        var change = Assert.Throws<ArgumentException>(() => recorder.RecordChange(TestGateway.Context(TestGateway.Snapshot()), "x", GuardDecision.Refuse(400, "c", "d")));

        Assert.StartsWith("Only a refusal can be written as a problem.", refusal.Message, StringComparison.Ordinal);
        Assert.StartsWith("Only a modification or a flag is recorded as a change.", change.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_flag_is_audited_as_a_flag_with_its_evidence_and_changes_nothing()
    {
        var (recorder, trail, sink) = TestGateway.Recorder();
        var context = TestGateway.Context(TestGateway.Snapshot());
        context.AnomalyEvidence = new AiGuard.Anomaly.AnomalyEvidence(0.93, "0123456789ab", "near_duplicate=0.9 (+0.40)");

        recorder.RecordChange(context, "anomaly", GuardDecision.Flag("anomaly_flagged", "score 0.93"));

        var recorded = await OnlyEvent(trail, sink);
        Assert.Equal("flag", recorded.Decision);
        Assert.Equal("anomaly_flagged", recorded.Code);
        Assert.Equal(0, recorded.Status);
        Assert.Equal(0.93, recorded.AnomalyScore);
        Assert.Equal("0123456789ab", recorded.AnomalyModel);
        Assert.Equal("near_duplicate=0.9 (+0.40)", recorded.AnomalyReasons);
        Assert.Equal(200, context.HttpContext.Response.StatusCode);
        Assert.Equal(0, ((MemoryStream)context.HttpContext.Response.Body).Length);
    }

    [Fact]
    public void A_change_needs_a_code()
    {
        Assert.Throws<ArgumentException>(() => GuardDecision.Modify(string.Empty, "d"));
        Assert.Throws<ArgumentException>(() => GuardDecision.ModifyByPolicy(string.Empty, "d"));
    }

    private sealed class StartedResponse : Microsoft.AspNetCore.Http.Features.HttpResponseFeature
    {
        public override bool HasStarted => true;
    }
}
