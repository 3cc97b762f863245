using AiGuard.Training.Simulation;
using AiGuard.Training.Simulation.Tensor;
using AiGuard.Training.Simulation.Victims;
using Xunit.Abstractions;

namespace AiGuard.Tests.Training.Simulation;

/// <summary>The evasion clients are real attacks: they make progress against the victims they query.</summary>
public class EvasionAttackTests(ITestOutputHelper output)
{
    public static TheoryData<string> VictimNames => [.. TensorVictims.Names];

    [Theory]
    [MemberData(nameof(VictimNames))]
    public void HopSkipJump_shrinks_the_distance_to_the_original_while_staying_adversarial(string victimName)
    {
        var victim = TensorVictims.Get(victimName);
        var progress = new List<EvasionProgress>();

        _ = new HopSkipJumpClient(progress.Add).Run(victim, new Random(21), 1500).Count();

        var first = FirstSample(progress);
        AssertAnswersAreTheVictims(victim, first);
        Assert.All(first, p => Assert.True(p.IsMisclassified, $"step {p.Step} is not adversarial"));
        output.WriteLine($"{victimName}: {first.Count - 1} iterations, L2 {first[0].Distance:F3} -> {first[^1].Distance:F3}");
        Assert.True(first.Count >= 4, $"only {first.Count} steps");
        Assert.True(first[^1].Distance < 0.6 * first[0].Distance, $"L2 {first[0].Distance:F3} -> {first[^1].Distance:F3}");
    }

    [Theory]
    [MemberData(nameof(VictimNames))]
    public void Boundary_attack_only_ever_moves_closer_and_stays_adversarial(string victimName)
    {
        var victim = TensorVictims.Get(victimName);
        var progress = new List<EvasionProgress>();

        _ = new BoundaryAttackClient(progress.Add).Run(victim, new Random(22), 2000).Count();

        var first = FirstSample(progress);
        AssertAnswersAreTheVictims(victim, first);
        Assert.All(first, p => Assert.True(p.IsMisclassified, $"step {p.Step} is not adversarial"));
        for (var i = 1; i < first.Count; i++)
        {
            Assert.True(first[i].Distance <= first[i - 1].Distance, $"step {first[i].Step} moved away");
        }

        output.WriteLine($"{victimName}: {first.Count - 1} steps, L2 {first[0].Distance:F3} -> {first[^1].Distance:F3}");
        Assert.True(first[^1].Distance < 0.8 * first[0].Distance, $"L2 {first[0].Distance:F3} -> {first[^1].Distance:F3}");
    }

    [Theory]
    [MemberData(nameof(VictimNames))]
    public void Square_attack_lowers_the_true_class_margin_within_its_epsilon_ball(string victimName)
    {
        var victim = TensorVictims.Get(victimName);
        var progress = new List<EvasionProgress>();

        _ = new SquareAttackClient(progress.Add).Run(victim, new Random(23), 300).Count();

        var first = FirstSample(progress);
        AssertAnswersAreTheVictims(victim, first);
        var epsilon = first[0].MaxChange;
        Assert.All(first, p => Assert.True(p.MaxChange <= epsilon + 1e-3, $"step {p.Step} left the ball"));
        AssertMarginDrops(victimName, first);
    }

    [Theory]
    [MemberData(nameof(VictimNames))]
    public void Nes_lowers_the_true_class_margin(string victimName)
    {
        var victim = TensorVictims.Get(victimName);
        var progress = new List<EvasionProgress>();

        _ = new NesClient(progress.Add).Run(victim, new Random(24), 400).Count();

        var first = FirstSample(progress);
        AssertAnswersAreTheVictims(victim, first);
        AssertMarginDrops(victimName, first);
    }

    [Theory]
    [MemberData(nameof(VictimNames))]
    public void Zoo_changes_one_coordinate_by_the_same_step_between_the_queries_of_a_pair(string victimName)
    {
        var victim = TensorVictims.Get(victimName);
        var rows = RowsOf(new ZooClient().Run(victim, new Random(25), 200), victim.InputSize);

        var changed = Enumerable.Range(1, rows.Count - 1).Select(i => ChangedCoordinates(rows[i - 1], rows[i])).ToList();

        // Rows go x, x + h e_i, x - h e_i, x + h e_j, x - h e_j, ...: within a pair one coordinate differs.
        var single = changed.Count(c => c == 1) / (double)changed.Count;
        var atMostTwo = changed.Count(c => c <= 2) / (double)changed.Count;
        output.WriteLine($"{victimName}: {single:P0} of consecutive rows differ in one coordinate, {atMostTwo:P0} in at most two");
        Assert.True(single > 0.4, $"{single:P0} differ in exactly one coordinate");
        Assert.True(atMostTwo > 0.75, $"{atMostTwo:P0} differ in at most two coordinates");
    }

    private static List<EvasionProgress> FirstSample(List<EvasionProgress> progress)
    {
        var first = progress.Where(p => p.Sample == progress[0].Sample).ToList();
        Assert.NotEmpty(first);
        return first;
    }

    // Progress reports carry answers the attack was given: the victim agrees with each of them.
    private static void AssertAnswersAreTheVictims(IVictimModel victim, List<EvasionProgress> progress)
    {
        foreach (var p in progress)
        {
            var probabilities = new float[victim.ClassCount];
            victim.Predict(p.Current, probabilities);
            Assert.Equal(probabilities, p.CurrentProbabilities);
            Assert.All(p.Current, value => Assert.InRange(value, victim.MinValue, victim.MaxValue));
        }
    }

    private void AssertMarginDrops(string victimName, List<EvasionProgress> progress)
    {
        output.WriteLine($"{victimName}: {progress.Count - 1} steps, margin {progress[0].Margin:F3} -> {progress[^1].Margin:F3}");
        Assert.True(progress.Count >= 3, $"only {progress.Count} steps");
        Assert.True(progress[^1].Margin < progress[0].Margin - 0.5, $"margin {progress[0].Margin:F3} -> {progress[^1].Margin:F3}");
    }

    private static List<float[]> RowsOf(IEnumerable<TensorQuery> queries, int inputSize) =>
        [.. queries.SelectMany(q => Enumerable.Range(0, q.RowCount).Select(r => q.Rows.AsSpan(r * inputSize, inputSize).ToArray()))];

    private static int ChangedCoordinates(float[] a, float[] b) => a.Zip(b).Count(pair => pair.First != pair.Second);
}
