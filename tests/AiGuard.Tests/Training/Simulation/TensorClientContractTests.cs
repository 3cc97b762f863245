using AiGuard.Training.Simulation;
using AiGuard.Training.Simulation.Tensor;
using AiGuard.Training.Simulation.Victims;
using Xunit.Abstractions;

namespace AiGuard.Tests.Training.Simulation;

/// <summary>What every simulated tensor client promises, whatever its family and victim.</summary>
public class TensorClientContractTests(ITestOutputHelper output)
{
    private const int Budget = 80;

    public static TheoryData<string, string> FamiliesAndVictims
    {
        get
        {
            var data = new TheoryData<string, string>();
            foreach (var factory in TensorClients.All)
            {
                foreach (var victim in TensorVictims.Names)
                {
                    data.Add(factory.Family, victim);
                }
            }

            return data;
        }
    }

    [Theory]
    [MemberData(nameof(FamiliesAndVictims))]
    public void Client_sends_well_formed_requests_within_budget_and_range_answered_by_the_victim(string family, string victimName)
    {
        var victim = new CountingVictim(TensorVictims.Get(victimName));
        var client = TensorClients.Create(family);

        var stream = client.Run(victim, new Random(11), Budget);
        Assert.Equal(0, victim.Predictions);
        var queries = stream.ToList();

        Assert.NotEmpty(queries);
        Assert.InRange(queries.Count, 1, Budget);
        Assert.Equal(queries.Count, victim.Predictions);
        Assert.Equal(0, queries[0].Seconds);
        for (var q = 0; q < queries.Count; q++)
        {
            var query = queries[q];
            Assert.True(query.RowCount >= 1, $"{family}: request {q} has no rows");
            Assert.Equal(query.RowCount * victim.InputSize, query.Rows.Length);
            Assert.Equal(query.RowCount * victim.ClassCount, query.Probabilities.Length);
            // Loops, not Assert.All: a batch scorer sends tens of thousands of values.
            Assert.True(query.Rows.All(value => value >= victim.MinValue && value <= victim.MaxValue), $"{family}: request {q} leaves the value range");
            Assert.True(Answer(victim, query.Rows).AsSpan().SequenceEqual(query.Probabilities), $"{family}: request {q} was not answered by the victim");
            if (q > 0)
            {
                Assert.True(query.Seconds >= queries[q - 1].Seconds, $"{family}: request {q} goes back in time");
            }
        }
    }

    [Theory]
    [MemberData(nameof(FamiliesAndVictims))]
    public void Client_is_reproducible_from_its_seed(string family, string victimName)
    {
        var victim = TensorVictims.Get(victimName);
        var client = TensorClients.Create(family);

        var first = client.Run(victim, new Random(12), 60).ToList();
        var second = client.Run(victim, new Random(12), 60).ToList();

        Assert.Equal(first.Count, second.Count);
        for (var q = 0; q < first.Count; q++)
        {
            Assert.Equal(first[q].Seconds, second[q].Seconds);
            Assert.True(first[q].Rows.AsSpan().SequenceEqual(second[q].Rows), $"{family}: request {q} differs");
            Assert.True(first[q].Probabilities.AsSpan().SequenceEqual(second[q].Probabilities), $"{family}: answer {q} differs");
        }
    }

    [Fact]
    public void Attacks_run_until_their_budget_and_stop_exactly_there()
    {
        var victim = new CountingVictim(TensorVictims.Get("demo-classifier"));
        foreach (var factory in TensorClients.All.Where(f => f.IsAttack))
        {
            var before = victim.Predictions;

            var count = factory.Create().Run(victim, new Random(13), 500).Count();

            Assert.Equal(500, count);
            Assert.Equal(500, victim.Predictions - before);
        }
    }

    [Fact]
    public void Registry_lists_every_family_once_and_refuses_unknown_ones()
    {
        var families = TensorClients.All.Select(f => f.Family).ToList();

        Assert.Equal(families.Count, families.Distinct().Count());
        Assert.Equal(10, TensorClients.All.Count(f => f.IsAttack));
        Assert.Equal(8, TensorClients.All.Count(f => !f.IsAttack));
        Assert.All(TensorClients.All, f => Assert.Equal(f.Family, TensorClients.Create(f.Family).Family));
        Assert.Throws<ArgumentException>(() => TensorClients.Create("no-such-family"));
    }

    [Fact]
    public void Attack_and_benign_request_rates_overlap()
    {
        // The anomaly engine must not be able to win on rate alone.
        var victim = TensorVictims.Get("demo-classifier");
        var attackRates = new List<double>();
        var benignRates = new List<double>();
        foreach (var (factory, index) in TensorClients.All.Select((f, i) => (f, i)))
        {
            for (var seed = 0; seed < 10; seed++)
            {
                var queries = factory.Create().Run(victim, new Random((100 * index) + seed), 100).ToList();
                if (queries.Count > 5)
                {
                    (factory.IsAttack ? attackRates : benignRates).Add((queries.Count - 1) / queries[^1].Seconds);
                }
            }
        }

        attackRates.Sort();
        var (slowAttack, fastAttack) = (attackRates[attackRates.Count / 10], attackRates[attackRates.Count * 9 / 10]);
        var benignAmongAttacks = benignRates.Count(r => r >= slowAttack && r <= fastAttack) / (double)benignRates.Count;
        output.WriteLine($"attacks {attackRates.Min():F2}..{attackRates.Max():F2}/s (10-90%: {slowAttack:F2}..{fastAttack:F2}), benign {benignRates.Min():F3}..{benignRates.Max():F2}/s, {benignAmongAttacks:P0} of benign runs inside the attacks' 10-90% range");
        Assert.True(attackRates[0] < 1, $"slowest attack {attackRates[0]:F2}/s");
        Assert.True(benignRates.Max() > 10, $"fastest benign {benignRates.Max():F2}/s");
        Assert.True(benignAmongAttacks > 0.2, $"{benignAmongAttacks:P0} of benign runs inside the attacks' 10-90% range");
    }

    private static float[] Answer(IVictimModel victim, float[] rows)
    {
        var probabilities = new float[rows.Length / victim.InputSize * victim.ClassCount];
        victim.Predict(rows, probabilities);
        return probabilities;
    }
}
