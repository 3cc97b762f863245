using System.Diagnostics.Metrics;
using AiGuard.Audit;
using AiGuard.Inspection.Input;
using AiGuard.Pipeline;
using AiGuard.Protocols;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace AiGuard.Tests.Pipeline;

public class InputGuardStageTests
{
    private sealed class FixedGuard(string name, GuardDecision decision) : IInputGuard
    {
        public int Calls { get; private set; }

        public string Name => name;

        public ValueTask<GuardDecision> InspectAsync(HttpContext context, InferenceRequest request, CancellationToken cancellationToken)
        {
            Calls++;
            return ValueTask.FromResult(decision);
        }
    }

    private static (InputGuardStage Stage, AuditTrail Trail) Create(params IInputGuard[] guards)
    {
        var meters = new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<IMeterFactory>();
        var trail = new AuditTrail([], Options.Create(new AuditOptions()), new AuditMetrics(meters), NullLogger<AuditTrail>.Instance);
        return (new InputGuardStage(guards, new RefusalWriter(trail, TimeProvider.System)), trail);
    }

    private static DefaultHttpContext ParsedRequest()
    {
        var context = new DefaultHttpContext();
        context.Response.Body = new MemoryStream();
        GuardContext.For(context).Request = new InferenceRequest { Protocol = ProtocolNames.OpenAi, Operation = "chat.completions", Model = "m" };
        return context;
    }

    [Fact]
    public async Task A_refusing_guard_stops_the_request_before_later_guards_and_the_upstream()
    {
        var refuse = new FixedGuard("a", GuardDecision.Refuse(PipelineStage.InputGuards, 400, "test_refusal", "no"));
        var later = new FixedGuard("b", GuardDecision.Continue);
        var (stage, trail) = Create(refuse, later);
        var context = ParsedRequest();
        var forwarded = false;

        await stage.InvokeAsync(context, () => { forwarded = true; return Task.CompletedTask; });

        Assert.False(forwarded);
        Assert.Equal(0, later.Calls);
        Assert.Equal(400, context.Response.StatusCode);
        Assert.Equal(1, trail.AcceptedCount);
    }

    [Fact]
    public async Task A_modifying_guard_is_audited_once_and_the_request_goes_on()
    {
        var modify = new FixedGuard("a", GuardDecision.Modify(PipelineStage.InputGuards, "test_change", "changed"));
        var (stage, trail) = Create(modify, new FixedGuard("b", GuardDecision.Continue));
        var context = ParsedRequest();
        var forwarded = false;

        await stage.InvokeAsync(context, () => { forwarded = true; return Task.CompletedTask; });

        Assert.True(forwarded);
        Assert.Equal(1, trail.AcceptedCount);
        Assert.Equal("test_change", Assert.Single(GuardContext.For(context).Modifications).Code);
    }

    [Fact]
    public async Task Continue_from_every_guard_writes_no_audit_event()
    {
        var (stage, trail) = Create(new FixedGuard("a", GuardDecision.Continue));
        var forwarded = false;

        await stage.InvokeAsync(ParsedRequest(), () => { forwarded = true; return Task.CompletedTask; });

        Assert.True(forwarded);
        Assert.Equal(0, trail.AcceptedCount);
    }
}
