using AiGuard.Training.Simulation;
using AiGuard.Training.Simulation.Victims;
using Xunit.Abstractions;

namespace AiGuard.Tests.Training.Simulation;

public class TensorVictimTests(ITestOutputHelper output)
{
    public static TheoryData<string> VictimNames => [.. TensorVictims.Names];

    [Theory]
    [MemberData(nameof(VictimNames))]
    public void Victim_classifies_fresh_natural_samples_accurately(string name)
    {
        var victim = TensorVictims.Get(name);
        var random = new Random(101);
        const int Samples = 1000;
        var rows = new float[Samples * victim.InputSize];
        var labels = new int[Samples];
        for (var r = 0; r < Samples; r++)
        {
            labels[r] = victim.SampleNatural(random, rows.AsSpan(r * victim.InputSize, victim.InputSize));
        }

        var probabilities = new float[Samples * victim.ClassCount];
        victim.Predict(rows, probabilities);

        var correct = Enumerable.Range(0, Samples).Count(r => ArgMax(probabilities.AsSpan(r * victim.ClassCount, victim.ClassCount)) == labels[r]);
        var accuracy = (double)correct / Samples;
        output.WriteLine($"{name}: test accuracy {accuracy:P1}");
        Assert.True(accuracy > 0.9, $"{name}: test accuracy {accuracy:P1}");
    }

    [Theory]
    [MemberData(nameof(VictimNames))]
    public void Victim_samples_stay_in_its_value_range_and_cover_every_class(string name)
    {
        var victim = TensorVictims.Get(name);
        var random = new Random(102);
        var row = new float[victim.InputSize];
        var classes = new HashSet<int>();
        for (var i = 0; i < 300; i++)
        {
            classes.Add(victim.SampleNatural(random, row));
            Assert.All(row, value => Assert.InRange(value, victim.MinValue, victim.MaxValue));
            victim.SampleOutOfDomain(random, row);
            Assert.All(row, value => Assert.InRange(value, victim.MinValue, victim.MaxValue));
        }

        Assert.Equal(victim.ClassCount, classes.Count);
        Assert.Equal(victim.InputSize, victim.ImageShape is { } shape ? shape.Height * shape.Width : victim.InputSize);
    }

    [Theory]
    [MemberData(nameof(VictimNames))]
    public void Victim_answers_one_probability_vector_per_row(string name)
    {
        var victim = TensorVictims.Get(name);
        var random = new Random(103);
        var rows = new float[3 * victim.InputSize];
        for (var r = 0; r < 3; r++)
        {
            victim.SampleOutOfDomain(random, rows.AsSpan(r * victim.InputSize, victim.InputSize));
        }

        var probabilities = new float[3 * victim.ClassCount];
        victim.Predict(rows, probabilities);

        for (var r = 0; r < 3; r++)
        {
            var row = probabilities.AsSpan(r * victim.ClassCount, victim.ClassCount).ToArray();
            Assert.All(row, p => Assert.InRange(p, 0f, 1f));
            Assert.Equal(1.0, row.Sum(p => (double)p), 4);
        }
    }

    [Fact]
    public void Out_of_domain_samples_are_not_natural_samples()
    {
        // The out-of-domain draws must look like another data set, not like the training classes:
        // their nearest natural neighbours are farther than natural samples' own.
        foreach (var victim in TensorVictims.Names.Select(TensorVictims.Get))
        {
            var random = new Random(104);
            var natural = Draw(victim, 200, (row) => victim.SampleNatural(random, row));
            var naturalProbe = Draw(victim, 50, (row) => victim.SampleNatural(random, row));
            var other = Draw(victim, 50, (row) => victim.SampleOutOfDomain(random, row));

            Assert.True(
                MeanNearest(other, natural) > 1.3 * MeanNearest(naturalProbe, natural),
                $"{victim.Name}: out-of-domain {MeanNearest(other, natural):F2}, natural {MeanNearest(naturalProbe, natural):F2}");
        }
    }

    [Fact]
    public void Glyph_victim_is_the_same_model_for_the_same_seed()
    {
        var a = (GlyphVictim)TensorVictims.Get("glyphs");
        var b = new GlyphVictim(GlyphVictim.DefaultSeed);
        var row = new float[a.InputSize];
        a.SampleNatural(new Random(1), row);
        var pa = new float[a.ClassCount];
        var pb = new float[b.ClassCount];

        a.Predict(row, pa);
        b.Predict(row, pb);

        Assert.Equal(pa, pb);
        Assert.Equal((16, 16), a.ImageShape);
        output.WriteLine($"glyphs: trained in {b.TrainingTime.TotalMilliseconds:F0} ms, training accuracy {a.TrainingAccuracy:P1}");
    }

    private static List<float[]> Draw(IVictimModel victim, int count, Action<float[]> draw)
    {
        var rows = new List<float[]>();
        for (var i = 0; i < count; i++)
        {
            var row = new float[victim.InputSize];
            draw(row);
            rows.Add(row);
        }

        return rows;
    }

    private static double MeanNearest(List<float[]> probes, List<float[]> reference) =>
        probes.Average(p => reference.Min(r => Distance(p, r)));

    private static double Distance(float[] a, float[] b) =>
        Math.Sqrt(a.Zip(b, (x, y) => (double)(x - y) * (x - y)).Sum());

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
