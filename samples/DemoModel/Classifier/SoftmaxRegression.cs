namespace DemoModel.Classifier;

/// <summary>Multinomial logistic (softmax) regression trained by full-batch gradient descent.</summary>
internal sealed class SoftmaxRegression
{
    private readonly double[] _weights; // [class * featureCount + feature]
    private readonly double[] _biases;

    private SoftmaxRegression(int featureCount, int classCount)
    {
        FeatureCount = featureCount;
        ClassCount = classCount;
        _weights = new double[featureCount * classCount];
        _biases = new double[classCount];
    }

    public int FeatureCount { get; }

    public int ClassCount { get; }

    public static SoftmaxRegression Train(double[][] rows, int[] labels, int classCount, int epochs, double learningRate, double l2)
    {
        var model = new SoftmaxRegression(rows[0].Length, classCount);
        var weightGradient = new double[model._weights.Length];
        var biasGradient = new double[classCount];
        var probabilities = new double[classCount];
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            Array.Clear(weightGradient);
            Array.Clear(biasGradient);
            for (var r = 0; r < rows.Length; r++)
            {
                model.PredictProbabilities(rows[r], probabilities);
                for (var c = 0; c < classCount; c++)
                {
                    var error = probabilities[c] - (labels[r] == c ? 1.0 : 0.0);
                    biasGradient[c] += error;
                    for (var f = 0; f < model.FeatureCount; f++)
                    {
                        weightGradient[(c * model.FeatureCount) + f] += error * rows[r][f];
                    }
                }
            }

            for (var i = 0; i < model._weights.Length; i++)
            {
                model._weights[i] -= learningRate * ((weightGradient[i] / rows.Length) + (l2 * model._weights[i]));
            }

            for (var c = 0; c < classCount; c++)
            {
                model._biases[c] -= learningRate * biasGradient[c] / rows.Length;
            }
        }

        return model;
    }

    public void PredictProbabilities(ReadOnlySpan<double> features, Span<double> probabilities)
    {
        var max = double.NegativeInfinity;
        for (var c = 0; c < ClassCount; c++)
        {
            var logit = _biases[c];
            for (var f = 0; f < FeatureCount; f++)
            {
                logit += _weights[(c * FeatureCount) + f] * features[f];
            }

            probabilities[c] = logit;
            max = Math.Max(max, logit);
        }

        // Subtracting the largest logit keeps exp() from overflowing.
        var sum = 0.0;
        for (var c = 0; c < ClassCount; c++)
        {
            probabilities[c] = Math.Exp(probabilities[c] - max);
            sum += probabilities[c];
        }

        for (var c = 0; c < ClassCount; c++)
        {
            probabilities[c] /= sum;
        }
    }
}
