namespace DemoModel.Classifier;

/// <summary>Scales each feature to zero mean and unit variance, with the statistics of the training set.</summary>
internal sealed class Standardizer
{
    private readonly double[] _means;
    private readonly double[] _deviations;

    private Standardizer(double[] means, double[] deviations)
    {
        _means = means;
        _deviations = deviations;
    }

    public static Standardizer Fit(double[][] rows)
    {
        var featureCount = rows[0].Length;
        var means = new double[featureCount];
        var deviations = new double[featureCount];
        for (var f = 0; f < featureCount; f++)
        {
            means[f] = rows.Average(row => row[f]);
            var variance = rows.Average(row => (row[f] - means[f]) * (row[f] - means[f]));

            // A constant feature would divide by zero; leaving it unscaled is harmless.
            deviations[f] = variance > 1e-12 ? Math.Sqrt(variance) : 1.0;
        }

        return new Standardizer(means, deviations);
    }

    public void Transform(ReadOnlySpan<double> row, Span<double> destination)
    {
        for (var f = 0; f < row.Length; f++)
        {
            destination[f] = (row[f] - _means[f]) / _deviations[f];
        }
    }
}
