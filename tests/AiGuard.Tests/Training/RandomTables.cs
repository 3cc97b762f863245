using AiGuard.Training.Features;

namespace AiGuard.Tests.Training;

/// <summary>Seeded random feature tables for tests.</summary>
internal static class RandomTables
{
    public static FeatureTable Gaussian(int rows, int features, int seed, bool labelled = false)
    {
        var random = new Random(seed);
        var values = new float[rows * features];
        var labels = labelled ? new float[rows] : null;
        for (var r = 0; r < rows; r++)
        {
            var outlier = random.NextDouble() < 0.1;
            for (var f = 0; f < features; f++)
            {
                values[(r * features) + f] = (float)((Normal(random) * (outlier ? 3 : 1)) + (outlier ? 2 : 0));
            }

            if (labels is not null)
            {
                // Noisy labels so the boosted trees have something to learn but cannot be perfect.
                labels[r] = outlier ^ (random.NextDouble() < 0.05) ? 1 : 0;
            }
        }

        var names = Enumerable.Range(0, features).Select(i => $"f{i}").ToArray();
        return new FeatureTable(names, values, labels);
    }

    /// <summary>Rows spread wider than the training data so every branch and leaf gets visited.</summary>
    public static float[] Uniform(int rows, int features, int seed, float spread = 6)
    {
        var random = new Random(seed);
        var values = new float[rows * features];
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = (float)(((random.NextDouble() * 2) - 1) * spread);
        }

        return values;
    }

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
