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

    [Fact]
    public void A_score_is_confirmed_only_once_the_last_four_scores_all_reach_it()
    {
        var recent = default(RecentScores);

        // Nothing is confirmed before there are ConfirmingScores scores.
        for (var i = 1; i < AnomalyPolicy.ConfirmingScores; i++)
        {
            Assert.Equal(0f, recent.Add(0.99f));
            Assert.Equal(0.99f, recent.Latest);
        }

        Assert.Equal(0.99f, recent.Add(0.995f));
        Assert.Equal(0.995f, recent.Latest);

        // One odd low score holds the confirmed score down until it leaves the window.
        Assert.Equal(0.2f, recent.Add(0.2f));
        for (var i = 1; i < AnomalyPolicy.ConfirmingScores; i++)
        {
            Assert.Equal(0.2f, recent.Add(0.98f));
        }

        Assert.Equal(0.98f, recent.Add(0.999f));
        Assert.Equal(0.999f, recent.Latest);
    }

    [Fact]
    public void One_high_score_of_a_benign_client_is_not_confirmed()
    {
        var recent = default(RecentScores);
        var confirmed = new[] { 0.1f, 0.2f, 0.1f, 0.1f, 0.999f, 0.1f, 0.2f, 0.995f, 0.996f, 0.1f }.Select(s => recent.Add(s)).Max();

        Assert.Equal(0.1f, confirmed);
        Assert.Equal(0f, default(RecentScores).Latest);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(RecentScores.MaxConfirming)]
    public void The_confirmed_score_is_the_lowest_of_the_last_n_scores(int confirming)
    {
        var recent = default(RecentScores);
        var scores = new[] { 0.3f, 0.9f, 0.95f, 0.2f, 0.99f, 0.97f, 0.98f, 0.96f, 0.995f, 0.99f, 0.1f, 0.93f };

        for (var i = 0; i < scores.Length; i++)
        {
            var expected = i + 1 < confirming ? 0f : scores[(i + 1 - confirming)..(i + 1)].Min();
            Assert.Equal(expected, recent.Add(scores[i], confirming));
            Assert.Equal(scores[i], recent.Latest);
        }
    }

    [Theory]
    [InlineData(0)]
    [InlineData(RecentScores.MaxConfirming + 1)]
    public void A_confirmation_outside_one_to_eight_scores_is_refused(int confirming) =>
        Assert.Throws<ArgumentOutOfRangeException>(() => default(RecentScores).Add(0.5f, confirming));
}
