using AiGuard.Anomaly;

namespace AiGuard.Tests.Anomaly;

public sealed class AnomalyPolicyTests
{
    [Fact]
    public void Actions_are_ordered_by_threshold_and_a_score_reaches_every_one_below_it()
    {
        var policy = new AnomalyPolicy("p", new AnomalyPolicyOptions
        {
            Actions =
            [
                new AnomalyActionOptions { Threshold = 0.9, Action = AnomalyAction.Quarantine },
                new AnomalyActionOptions { Threshold = 0.5, Action = AnomalyAction.Flag },
                new AnomalyActionOptions { Threshold = 0.7, Action = AnomalyAction.Harden },
            ],
        });

        Assert.Equal([AnomalyAction.Flag, AnomalyAction.Harden, AnomalyAction.Quarantine], policy.Actions.Select(a => a.Action));
        Assert.Equal(-1, policy.LevelOf(0.49));
        Assert.Equal(0, policy.LevelOf(0.5));
        Assert.Equal(1, policy.LevelOf(0.89));
        Assert.Equal(2, policy.LevelOf(1));
        Assert.True(policy.Hardens);
        Assert.True(policy.Quarantines);
        Assert.Equal(AnomalyPolicy.DefaultHardening, policy.Actions[1].Hardening);
    }
}
