namespace AiGuard.Training.Features;

/// <summary>
/// A seeded demo table of per-client features: three benign usage clusters (interactive apps,
/// batch jobs, dashboards) plus a small share of extraction-like clients (high rate, many
/// near-duplicate probes close to the decision boundary, wide class coverage). Only for demos
/// and tests until the gateway's own feature code produces real tables.
/// </summary>
public static class SyntheticFeatureTable
{
    public static readonly IReadOnlyList<string> FeatureNames =
    [
        "requests_per_minute",
        "burst_ratio",
        "near_duplicate_ratio",
        "mean_query_distance",
        "min_query_distance",
        "class_coverage",
        "low_margin_ratio",
        "out_of_range_ratio",
        "validation_failure_ratio",
        "logprob_request_ratio",
    ];

    // Mean and standard deviation per feature, in FeatureNames order.
    private static readonly (double Mean, double Sd)[][] Benign =
    [
        [(6, 2), (0.15, 0.05), (0.05, 0.03), (0.8, 0.1), (0.3, 0.1), (0.3, 0.1), (0.05, 0.03), (0.01, 0.01), (0.01, 0.01), (0.02, 0.02)],
        [(40, 8), (0.05, 0.03), (0.10, 0.05), (0.6, 0.1), (0.2, 0.08), (0.5, 0.1), (0.08, 0.03), (0.02, 0.01), (0.02, 0.01), (0.0, 0.01)],
        [(15, 4), (0.30, 0.08), (0.30, 0.08), (0.4, 0.1), (0.1, 0.05), (0.2, 0.08), (0.04, 0.02), (0.00, 0.01), (0.01, 0.01), (0.05, 0.03)],
    ];

    private static readonly (double Mean, double Sd)[] Extraction =
        [(120, 40), (0.6, 0.15), (0.7, 0.1), (0.15, 0.05), (0.02, 0.01), (0.9, 0.08), (0.45, 0.1), (0.15, 0.08), (0.08, 0.05), (0.5, 0.2)];

    /// <summary>Generates <paramref name="rows"/> rows; with labels, 1 marks the outliers.</summary>
    public static FeatureTable Generate(int rows, int seed, double outlierFraction = 0.02, bool withLabels = false)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 1);
        if (outlierFraction is < 0 or > 1)
        {
            throw new ArgumentOutOfRangeException(nameof(outlierFraction), outlierFraction, "must be in [0, 1]");
        }

        var random = new Random(seed);
        var width = FeatureNames.Count;
        var values = new float[rows * width];
        var labels = withLabels ? new float[rows] : null;
        for (var r = 0; r < rows; r++)
        {
            var outlier = random.NextDouble() < outlierFraction;
            var profile = outlier ? Extraction : Benign[random.Next(Benign.Length)];
            for (var f = 0; f < width; f++)
            {
                // Rates and ratios cannot be negative; ratios cannot exceed 1.
                var v = Math.Max(0, profile[f].Mean + (profile[f].Sd * Normal(random)));
                values[(r * width) + f] = (float)(f == 0 ? v : Math.Min(v, 1));
            }

            if (labels is not null)
            {
                labels[r] = outlier ? 1 : 0;
            }
        }

        return new FeatureTable(FeatureNames, values, labels);
    }

    private static double Normal(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
