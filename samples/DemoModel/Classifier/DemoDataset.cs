namespace DemoModel.Classifier;

/// <summary>
/// Three Gaussian blobs in four dimensions, shaped after the iris flowers so the demo reads naturally.
/// Generated from a fixed seed: every start trains on the same rows.
/// </summary>
internal sealed class DemoDataset
{
    public const int Seed = 42;
    public const int RowsPerClass = 200;

    public static IReadOnlyList<string> FeatureNames { get; } = ["sepal_length", "sepal_width", "petal_length", "petal_width"];

    public static IReadOnlyList<string> Labels { get; } = ["setosa", "versicolor", "virginica"];

    // Per class: the centre of its blob and the spread of each feature.
    internal static readonly double[][] Centres =
    [
        [5.0, 3.4, 1.5, 0.25],
        [5.9, 2.8, 4.3, 1.3],
        [6.6, 3.0, 5.6, 2.0],
    ];

    internal static readonly double[][] Spreads =
    [
        [0.35, 0.38, 0.17, 0.10],
        [0.50, 0.31, 0.45, 0.20],
        [0.60, 0.32, 0.50, 0.25],
    ];

    private DemoDataset(double[][] features, int[] labels)
    {
        Features = features;
        ClassLabels = labels;
    }

    public double[][] Features { get; }

    public int[] ClassLabels { get; }

    public static DemoDataset Generate()
    {
        var random = new Random(Seed);
        var rows = new double[Centres.Length * RowsPerClass][];
        var labels = new int[rows.Length];
        for (var c = 0; c < Centres.Length; c++)
        {
            for (var r = 0; r < RowsPerClass; r++)
            {
                var row = new double[FeatureNames.Count];
                for (var f = 0; f < row.Length; f++)
                {
                    row[f] = Centres[c][f] + (Spreads[c][f] * NextGaussian(random));
                }

                rows[(c * RowsPerClass) + r] = row;
                labels[(c * RowsPerClass) + r] = c;
            }
        }

        return new DemoDataset(rows, labels);
    }

    // Box-Muller: System.Random has no normal distribution of its own.
    private static double NextGaussian(Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }
}
