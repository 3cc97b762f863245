using System.Diagnostics.Metrics;
using System.Text.Json;
using AiGuard.Audit;
using AiGuard.Identity;
using AiGuard.Pipeline;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AiGuard.Tests.Pipeline;

public class RefusalWriterTests
{
    private static (RefusalWriter Writer, AuditTrail Trail) Create(int capacity = 100)
    {
        var meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();
        var trail = new AuditTrail([], Options.Create(new AuditOptions { QueueCapacity = capacity }), new AuditMetrics(meters), NullLogger<AuditTrail>.Instance);
        return (new RefusalWriter(trail, new ManualClock(DateTimeOffset.UnixEpoch)), trail);
    }

    private static DefaultHttpContext Request()
    {
        var context = new DefaultHttpContext();
        context.Request.Method = "POST";
        context.Request.Path = "/v1/chat/completions";
        context.Response.Body = new MemoryStream();
        return context;
    }

    [Fact]
    public async Task Refusal_is_problem_json_with_code_status_and_incident_id()
    {
        var (writer, trail) = Create();
        var context = Request();
        GuardContext.For(context).Client = new ClientIdentity("alice", "key1", "acme", new HashSet<string>(), [], []);

        await writer.RefuseAsync(context, GuardDecision.Refuse(PipelineStage.Parse, 400, ProblemCodes.InvalidBody, "'messages' is required.", "messages"));

        Assert.Equal(400, context.Response.StatusCode);
        Assert.Equal("application/problem+json", context.Response.ContentType);
        using var body = JsonDocument.Parse(((MemoryStream)context.Response.Body).ToArray());
        var root = body.RootElement;
        Assert.Equal("urn:aiguard:problem:invalid_body", root.GetProperty("type").GetString());
        Assert.Equal(400, root.GetProperty("status").GetInt32());
        Assert.Equal("invalid_body", root.GetProperty("code").GetString());
        Assert.Equal("messages", root.GetProperty("field").GetString());
        Assert.Equal("/v1/chat/completions", root.GetProperty("instance").GetString());
        Assert.Equal(GuardContext.For(context).IncidentId, root.GetProperty("incidentId").GetString());
        Assert.StartsWith("inc_", root.GetProperty("incidentId").GetString(), StringComparison.Ordinal);
        Assert.Equal(1, trail.AcceptedCount);
    }

    [Fact]
    public async Task Problem_detail_keeps_quotes_and_brackets_readable()
    {
        var (writer, _) = Create();
        var context = Request();

        await writer.RefuseAsync(context, GuardDecision.Refuse(PipelineStage.Authenticate, 401, ProblemCodes.MissingCredentials, "Send 'Authorization: Bearer <key>'."));

        var text = System.Text.Encoding.UTF8.GetString(((MemoryStream)context.Response.Body).ToArray());
        Assert.Contains("Send 'Authorization: Bearer <key>'.", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unauthorized_refusal_carries_a_bearer_challenge()
    {
        var (writer, _) = Create();
        var context = Request();

        await writer.RefuseAsync(context, GuardDecision.Refuse(PipelineStage.Authenticate, 401, ProblemCodes.MissingCredentials, "Send a key."));

        Assert.Equal("Bearer realm=\"aiguard\"", context.Response.Headers.WWWAuthenticate.ToString());
    }

    [Fact]
    public async Task A_request_is_refused_and_audited_only_once()
    {
        var (writer, trail) = Create();
        var context = Request();
        var decision = GuardDecision.Refuse(PipelineStage.Parse, 400, ProblemCodes.MalformedJson, "bad");

        await writer.RefuseAsync(context, decision);
        await writer.RefuseAsync(context, GuardDecision.Refuse(PipelineStage.Forward, 502, ProblemCodes.UpstreamError, "late"));

        Assert.Equal(400, context.Response.StatusCode);
        Assert.Equal(1, trail.AcceptedCount);
    }

    [Fact]
    public async Task Continue_cannot_be_written_as_a_problem()
    {
        var (writer, _) = Create();

        await Assert.ThrowsAsync<ArgumentException>(() => writer.RefuseAsync(Request(), GuardDecision.Continue));
    }

    [Fact]
    public async Task Full_audit_queue_drops_and_counts_instead_of_blocking()
    {
        var (writer, trail) = Create(capacity: 2);

        for (var i = 0; i < 5; i++)
        {
            await writer.RefuseAsync(Request(), GuardDecision.Refuse(PipelineStage.Parse, 400, ProblemCodes.MalformedJson, "bad"));
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
}
