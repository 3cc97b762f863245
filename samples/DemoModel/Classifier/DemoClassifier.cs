using System.Diagnostics;

namespace DemoModel.Classifier;

/// <summary>The <c>demo-classifier</c> model: standardization plus softmax regression, trained at start-up.</summary>
internal sealed class DemoClassifier
{
    public const string Name = "demo-classifier";
    public const string Version = "1";
    public const string InputName = "features";
    public const string OutputName = "probabilities";
    public const string Platform = "aiguard_demo_softmax";
    public const int Epochs = 300;
    public const double LearningRate = 0.5;
    public const double L2 = 1e-4;

    private readonly Standardizer _standardizer;
    private readonly SoftmaxRegression _model;

    private DemoClassifier(Standardizer standardizer, SoftmaxRegression model, double trainingAccuracy, int trainingRows, TimeSpan trainingTime)
    {
        _standardizer = standardizer;
        _model = model;
        TrainingAccuracy = trainingAccuracy;
        TrainingRows = trainingRows;
        TrainingTime = trainingTime;
    }

    public int FeatureCount => _model.FeatureCount;

    public int ClassCount => _model.ClassCount;

    public double TrainingAccuracy { get; }

    public int TrainingRows { get; }

    public TimeSpan TrainingTime { get; }

    public static DemoClassifier Train()
    {
        var started = Stopwatch.GetTimestamp();
        var dataset = DemoDataset.Generate();
        var standardizer = Standardizer.Fit(dataset.Features);
        var scaled = dataset.Features.Select(row =>
        {
            var destination = new double[row.Length];
            standardizer.Transform(row, destination);
            return destination;
        }).ToArray();
        var model = SoftmaxRegression.Train(scaled, dataset.ClassLabels, DemoDataset.Labels.Count, Epochs, LearningRate, L2);

        var probabilities = new double[model.ClassCount];
        var correct = 0;
        for (var r = 0; r < scaled.Length; r++)
        {
            model.PredictProbabilities(scaled[r], probabilities);
            if (ArgMax(probabilities) == dataset.ClassLabels[r])
            {
                correct++;
            }
        }

        return new DemoClassifier(standardizer, model, (double)correct / scaled.Length, scaled.Length, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>Class probabilities for row-major <paramref name="rows"/>, row-major in the result.</summary>
    public float[] Predict(ReadOnlySpan<float> rows)
    {
        var rowCount = rows.Length / FeatureCount;
        var result = new float[rowCount * ClassCount];
        Span<double> features = stackalloc double[FeatureCount];
        Span<double> scaled = stackalloc double[FeatureCount];
        Span<double> probabilities = stackalloc double[ClassCount];
        for (var r = 0; r < rowCount; r++)
        {
            for (var f = 0; f < FeatureCount; f++)
            {
                features[f] = rows[(r * FeatureCount) + f];
            }

            _standardizer.Transform(features, scaled);
            _model.PredictProbabilities(scaled, probabilities);
            for (var c = 0; c < ClassCount; c++)
            {
                result[(r * ClassCount) + c] = (float)probabilities[c];
            }
        }

        return result;
    }

    private static int ArgMax(ReadOnlySpan<double> values)
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
