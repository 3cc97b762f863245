using AiGuard.Training.Simulation;
using AiGuard.Training.Simulation.Tensor;
using AiGuard.Training.Simulation.Victims;

namespace AiGuard.Tests.Training.Simulation;

/// <summary>The extraction clients send what the published attacks send.</summary>
public class ExtractionAttackTests
{
    public static TheoryData<string> VictimNames => [.. TensorVictims.Names];

    [Theory]
    [MemberData(nameof(VictimNames))]
    public void Line_sweep_sends_long_runs_of_distinct_collinear_evenly_spaced_inputs(string victimName)
    {
        var victim = TensorVictims.Get(victimName);
        var rows = RowsOf(new LineSweepClient().Run(victim, new Random(41), 1500), victim.InputSize);

        // Each row continues the previous two: same step, same direction.
        var continues = Enumerable.Range(2, rows.Count - 2).Select(i =>
        {
            var (a, b, c) = (rows[i - 2], rows[i - 1], rows[i]);
            var step = Distance(a, b);
            return step > 0 && Math.Abs(Distance(b, c) - step) < 1e-3 * step && Distance(a, c) > 1.999 * step;
        }).ToList();

        var longestRun = 0;
        var run = 0;
        foreach (var onLine in continues)
        {
            run = onLine ? run + 1 : 0;
            longestRun = Math.Max(longestRun, run);
        }

        Assert.True(continues.Count(c => c) > 0.6 * continues.Count, $"{continues.Count(c => c)} of {continues.Count} rows continue a line");
        Assert.True(longestRun >= 98, $"longest run {longestRun}");
    }

    [Fact]
    public void Knockoff_labels_natural_inputs_of_every_class_at_volume()
    {
        var victim = TensorVictims.Get("glyphs");
        var queries = new KnockoffClient().Run(victim, new Random(42), 200).ToList();

        var labels = queries.SelectMany(q => Enumerable.Range(0, q.RowCount).Select(r => ArgMax(q.Probabilities.AsSpan(r * victim.ClassCount, victim.ClassCount)))).ToList();

        Assert.Equal(victim.ClassCount, labels.Distinct().Count());
        Assert.True(labels.GroupBy(l => l).Min(g => g.Count()) > labels.Count / (3 * victim.ClassCount), "every class is well covered");
    }

    [Fact]
    public void Papernot_generations_step_a_fixed_lambda_away_from_earlier_inputs()
    {
        var victim = TensorVictims.Get("demo-classifier");
        var rows = RowsOf(new PapernotClient().Run(victim, new Random(43), 400), victim.InputSize);

        // An augmented row is an earlier row moved by the same +/- lambda in every coordinate (clipped at the range).
        var steps = new List<double>();
        for (var i = 150; i < rows.Count; i++)
        {
            var row = rows[i];
            var inside = Enumerable.Range(0, row.Length).Where(c => row[c] > victim.MinValue && row[c] < victim.MaxValue).ToList();
            var matches = rows.Take(i)
                .Select(earlier => inside.Select(c => (double)Math.Abs(row[c] - earlier[c])).ToList())
                .Where(changes => changes.Count > 0 && changes.Min() > 0 && changes.Max() - changes.Min() < 1e-4)
                .ToList();

            // The nearest match is the parent; a grandparent moved the same way twice is 2 lambda away.
            if (matches.Count > 0)
            {
                steps.Add(matches.Min(changes => changes[0]));
            }
        }

        Assert.True(steps.Count > 0.8 * (rows.Count - 150), $"{steps.Count} of {rows.Count - 150} rows are lambda steps");
        Assert.True(steps.Max() - steps.Min() < 1e-3, $"lambda varies: {steps.Min():F4}..{steps.Max():F4}");
    }

    private static List<float[]> RowsOf(IEnumerable<TensorQuery> queries, int inputSize) =>
        [.. queries.SelectMany(q => Enumerable.Range(0, q.RowCount).Select(r => q.Rows.AsSpan(r * inputSize, inputSize).ToArray()))];

    private static double Distance(float[] a, float[] b) => Math.Sqrt(a.Zip(b, (x, y) => (double)(x - y) * (x - y)).Sum());

    private static int ArgMax(ReadOnlySpan<float> values)
    {
        var best = 0;
        for (var i = 1; i < values.Length; i++)
        {
            if (values[i] > values[best])
            {
                best = i;
            }
        }

        return best;
    }
}
