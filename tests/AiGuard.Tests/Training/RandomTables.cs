namespace AiGuard.Tests.Training;

/// <summary>Seeded random rows for tests.</summary>
internal static class RandomTables
{
    /// <summary>Rows spread wider than any training data so every branch and leaf gets visited.</summary>
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
}
