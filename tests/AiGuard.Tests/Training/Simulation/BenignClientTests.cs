using AiGuard.Training.Simulation;
using AiGuard.Training.Simulation.Tensor;
using AiGuard.Training.Simulation.Victims;

namespace AiGuard.Tests.Training.Simulation;

/// <summary>The benign clients have the awkward shapes that fool naive detectors.</summary>
public class BenignClientTests
{
    public static TheoryData<string> VictimNames => [.. TensorVictims.Names];

    [Theory]
    [MemberData(nameof(VictimNames))]
    public void Video_stream_frames_are_near_duplicates_of_the_previous_frame(string victimName)
    {
        var victim = TensorVictims.Get(victimName);
        var frames = new VideoStreamClient().Run(victim, new Random(31), 500).ToList();

        var scale = (victim.MaxValue - victim.MinValue) * Math.Sqrt(victim.InputSize);
        var steps = Enumerable.Range(1, frames.Count - 1).Select(i => Distance(frames[i - 1].Rows, frames[i].Rows) / scale).ToList();

        Assert.All(frames, f => Assert.Equal(1, f.RowCount));
        Assert.True(steps.Count(s => s < 0.02) >= 0.98 * steps.Count, $"median step {steps.Order().ElementAt(steps.Count / 2):P2} of the range");
        Assert.True(steps.Count(s => s == 0) == 0, "frames carry sensor noise: never byte-identical");
    }

    [Theory]
    [MemberData(nameof(VictimNames))]
    public void Eval_replay_sends_one_fixed_test_set_again_in_the_same_order(string victimName)
    {
        var victim = TensorVictims.Get(victimName);

        // Some seeds make a single pass; the first that makes several is the one to look at.
        var rows = Enumerable.Range(0, 20)
            .Select(seed => RowsOf(new EvalReplayClient().Run(victim, new Random(seed), 5000), victim.InputSize))
            .First(r => r.Count > r.Distinct(RowComparer.Instance).Count());

        var testSet = rows.Distinct(RowComparer.Instance).ToList();
        Assert.InRange(testSet.Count, 50, 200);
        Assert.Equal(0, rows.Count % testSet.Count);
        for (var i = 0; i < rows.Count; i++)
        {
            Assert.Equal(testSet[i % testSet.Count], rows[i]);
        }
    }

    [Theory]
    [MemberData(nameof(VictimNames))]
    public void Retry_resends_identical_requests_one_to_three_times_in_a_row(string victimName)
    {
        var victim = TensorVictims.Get(victimName);
        var queries = new RetryClient().Run(victim, new Random(33), 400).ToList();

        var runs = new List<int> { 1 };
        for (var i = 1; i < queries.Count; i++)
        {
            if (queries[i].Rows.AsSpan().SequenceEqual(queries[i - 1].Rows))
            {
                runs[^1]++;
                Assert.True(queries[i].Seconds > queries[i - 1].Seconds, "a retry comes after a back-off");
            }
            else
            {
                runs.Add(1);
            }
        }

        Assert.Contains(runs, r => r > 1);
        Assert.All(runs, r => Assert.InRange(r, 1, 4));
    }

    [Theory]
    [MemberData(nameof(VictimNames))]
    public void Ab_test_sends_every_input_twice_in_a_row(string victimName)
    {
        var victim = TensorVictims.Get(victimName);
        var queries = new AbTestClient().Run(victim, new Random(34), 200).ToList();

        for (var i = 0; i + 1 < queries.Count; i += 2)
        {
            Assert.Equal(queries[i].Rows, queries[i + 1].Rows);
            Assert.InRange(queries[i + 1].Seconds - queries[i].Seconds, 0.0, 0.05);
            Assert.NotEqual(queries[i].Rows, queries[i + 2 < queries.Count ? i + 2 : i - 2].Rows);
        }
    }

    [Theory]
    [MemberData(nameof(VictimNames))]
    public void Monitoring_probe_resends_one_input_at_a_steady_period(string victimName)
    {
        var victim = TensorVictims.Get(victimName);
        var queries = new MonitoringProbeClient().Run(victim, new Random(35), 100).ToList();

        Assert.Equal(100, queries.Count);
        Assert.All(queries, q => Assert.Equal(queries[0].Rows, q.Rows));
        var periods = Enumerable.Range(1, queries.Count - 1).Select(i => queries[i].Seconds - queries[i - 1].Seconds).ToList();
        Assert.InRange(periods.Max() / periods.Min(), 1.0, 1.11);
        Assert.InRange(periods.Average(), 5.0, 300.0);
    }

    [Fact]
    public void One_off_client_stops_after_a_handful_of_natural_queries()
    {
        var victim = TensorVictims.Get("demo-classifier");

        var counts = Enumerable.Range(0, 20).Select(seed => new OneOffClient().Run(victim, new Random(seed), 1000).Count()).ToList();

        Assert.All(counts, c => Assert.InRange(c, 1, 10));
    }

    [Fact]
    public void Batch_scorer_and_heavy_user_send_in_distribution_volume()
    {
        var victim = TensorVictims.Get("demo-classifier");

        var batches = new BatchScorerClient().Run(victim, new Random(36), 50).ToList();
        var heavy = new HeavyUserClient().Run(victim, new Random(37), 3000).ToList();

        Assert.All(batches, q => Assert.True(q.RowCount >= 10, $"batch of {q.RowCount}"));
        Assert.Equal(3000, heavy.Count);
        Assert.True(heavy.Count(q => q.RowCount == 1) > 0.7 * heavy.Count);
    }

    private static List<float[]> RowsOf(IEnumerable<TensorQuery> queries, int inputSize) =>
        [.. queries.SelectMany(q => Enumerable.Range(0, q.RowCount).Select(r => q.Rows.AsSpan(r * inputSize, inputSize).ToArray()))];

    private static double Distance(float[] a, float[] b) => Math.Sqrt(a.Zip(b, (x, y) => (double)(x - y) * (x - y)).Sum());

    private sealed class RowComparer : IEqualityComparer<float[]>
    {
        public static readonly RowComparer Instance = new();

        public bool Equals(float[]? x, float[]? y) => x.AsSpan().SequenceEqual(y);

        public int GetHashCode(float[] obj)
        {
            var hash = default(HashCode);
            foreach (var value in obj)
            {
                hash.Add(value);
            }

            return hash.ToHashCode();
        }
    }
}
