using System.Threading.RateLimiting;
using AiGuard.Inspection.Input;
using AiGuard.Pipeline;

namespace AiGuard.Tests.Pipeline;

/// <summary>What one request carries through the pipeline: held permits, edits, per-stage stream state.</summary>
public class GuardContextTests
{
    [Fact]
    public void Held_concurrency_permits_are_released_once_when_the_request_lets_them_go()
    {
        using var limiter = new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = 2, QueueLimit = 0 });
        var guard = TestGateway.Context(TestGateway.Snapshot());
        guard.Hold(limiter.AttemptAcquire());
        guard.Hold(limiter.AttemptAcquire());
        Assert.Equal(0, limiter.GetStatistics()!.CurrentAvailablePermits);

        guard.ReleaseLeases();
        guard.ReleaseLeases();

        Assert.Equal(2, limiter.GetStatistics()!.CurrentAvailablePermits);
        var again = limiter.AttemptAcquire();
        Assert.True(again.IsAcquired);
        guard.Hold(again);
        guard.ReleaseLeases();
        Assert.Equal(2, limiter.GetStatistics()!.CurrentAvailablePermits);
    }

    [Fact]
    public void A_request_without_permits_releases_nothing()
    {
        var guard = TestGateway.Context(TestGateway.Snapshot());

        guard.ReleaseLeases();

        Assert.Null(guard.RequestEdits);
    }

    [Fact]
    public void Edits_of_several_stages_add_up_in_order()
    {
        var guard = TestGateway.Context(TestGateway.Snapshot());

        guard.AddRequestEdits([new RequestEdit("max_tokens", 256)]);
        guard.AddRequestEdits([new RequestEdit("logprobs", null), new RequestEdit("n", 1)]);
        guard.AddTextEdit("messages[0].content", "[EMAIL]");
        guard.AddTextEdit("messages[1].content", "[PHONE]");

        Assert.Equal(["max_tokens", "logprobs", "n"], guard.RequestEdits!.Select(e => e.Member));
        Assert.Equal([("messages[0].content", "[EMAIL]"), ("messages[1].content", "[PHONE]")], guard.TextEdits);
    }

    [Fact]
    public void Each_stage_keeps_its_own_stream_state_for_the_whole_answer()
    {
        var guard = TestGateway.Context(TestGateway.Snapshot());
        var first = new Stage();
        var second = new Stage();

        var firstState = guard.StreamStateOf<List<int>>(first);
        firstState.Add(1);
        var secondState = guard.StreamStateOf<List<int>>(second);

        Assert.NotSame(firstState, secondState);
        Assert.Same(firstState, guard.StreamStateOf<List<int>>(first));
        Assert.Same(secondState, guard.StreamStateOf<List<int>>(second));
        Assert.Equal([1], guard.StreamStateOf<List<int>>(first));
        Assert.Empty(guard.StreamStateOf<List<int>>(second));
    }

    private sealed class Stage : IGuardStage
    {
        public string Name => "test";

        public int Order => 0;

        public StagePhases Phases => StagePhases.Request;

        public bool AppliesTo(Configuration.RoutePolicy route) => true;
    }
}
