using AiGuard.Training.Simulation.Tensor;

namespace AiGuard.Training.Simulation.Victims;

/// <summary>
/// A one-hidden-layer ReLU network with a softmax output, trained by plain stochastic gradient
/// descent. Inputs are scaled to [0, 1] inside the model, as a served model's preprocessing would.
/// Single-threaded and seeded: the same rows and seed give the same weights, bit for bit.
/// </summary>
internal sealed class MlpClassifier
{
    private readonly float[] _hiddenWeights; // [hidden * inputs + input]
    private readonly float[] _hiddenBiases;
    private readonly float[] _outputWeights; // [class * hidden + unit]
    private readonly float[] _outputBiases;
    private readonly float _offset;
    private readonly float _scale;

    private MlpClassifier(int inputCount, int hiddenCount, int classCount, float min, float max)
    {
        InputCount = inputCount;
        HiddenCount = hiddenCount;
        ClassCount = classCount;
        _hiddenWeights = new float[hiddenCount * inputCount];
        _hiddenBiases = new float[hiddenCount];
        _outputWeights = new float[classCount * hiddenCount];
        _outputBiases = new float[classCount];
        _offset = min;
        _scale = 1f / (max - min);
    }

    public int InputCount { get; }

    public int HiddenCount { get; }

    public int ClassCount { get; }

    public static MlpClassifier Train(
        float[] rows, int[] labels, int classCount, int hiddenCount, float min, float max, int epochs, double learningRate, Random random)
    {
        var inputCount = rows.Length / labels.Length;
        var model = new MlpClassifier(inputCount, hiddenCount, classCount, min, max);

        // He initialization for the ReLU layer, Glorot-like for the output layer.
        for (var i = 0; i < model._hiddenWeights.Length; i++)
        {
            model._hiddenWeights[i] = (float)(random.NextGaussian() * Math.Sqrt(2.0 / inputCount));
        }

        for (var i = 0; i < model._outputWeights.Length; i++)
        {
            model._outputWeights[i] = (float)(random.NextGaussian() * Math.Sqrt(1.0 / hiddenCount));
        }

        var order = new int[labels.Length];
        for (var i = 0; i < order.Length; i++)
        {
            order[i] = i;
        }

        var input = new float[inputCount];
        var hidden = new float[hiddenCount];
        var probabilities = new double[classCount];
        var hiddenError = new float[hiddenCount];
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            random.Shuffle(order);

            // Linear decay: large steps first, fine ones at the end.
            var rate = (float)(learningRate * (1.0 - ((double)epoch / epochs)));
            foreach (var r in order)
            {
                model.Scale(rows.AsSpan(r * inputCount, inputCount), input);
                model.Forward(input, hidden, probabilities);

                Array.Clear(hiddenError);
                for (var c = 0; c < classCount; c++)
                {
                    var error = (float)(probabilities[c] - (labels[r] == c ? 1.0 : 0.0));
                    var weights = model._outputWeights.AsSpan(c * hiddenCount, hiddenCount);
                    for (var h = 0; h < hiddenCount; h++)
                    {
                        hiddenError[h] += error * weights[h];
                        weights[h] -= rate * error * hidden[h];
                    }

                    model._outputBiases[c] -= rate * error;
                }

                for (var h = 0; h < hiddenCount; h++)
                {
                    // The ReLU passes no gradient where the unit was off.
                    if (hidden[h] <= 0f || hiddenError[h] == 0f)
                    {
                        continue;
                    }

                    var step = rate * hiddenError[h];
                    var weights = model._hiddenWeights.AsSpan(h * inputCount, inputCount);
                    for (var i = 0; i < inputCount; i++)
                    {
                        weights[i] -= step * input[i];
                    }

                    model._hiddenBiases[h] -= step;
                }
            }
        }

        return model;
    }

    /// <summary>Class probabilities for row-major <paramref name="rows"/>, row-major in <paramref name="probabilities"/>.</summary>
    public void Predict(ReadOnlySpan<float> rows, Span<float> probabilities)
    {
        var rowCount = rows.Length / InputCount;
        Span<float> input = stackalloc float[InputCount];
        Span<float> hidden = stackalloc float[HiddenCount];
        Span<double> output = stackalloc double[ClassCount];
        for (var r = 0; r < rowCount; r++)
        {
            Scale(rows.Slice(r * InputCount, InputCount), input);
            Forward(input, hidden, output);
            for (var c = 0; c < ClassCount; c++)
            {
                probabilities[(r * ClassCount) + c] = (float)output[c];
            }
        }
    }

    private void Scale(ReadOnlySpan<float> row, Span<float> destination)
    {
        for (var i = 0; i < row.Length; i++)
        {
            destination[i] = (row[i] - _offset) * _scale;
        }
    }

    private void Forward(ReadOnlySpan<float> input, Span<float> hidden, Span<double> probabilities)
    {
        for (var h = 0; h < HiddenCount; h++)
        {
            var weights = _hiddenWeights.AsSpan(h * InputCount, InputCount);

            // Four partial sums: the loop is bound by additions, not by the multiplications.
            float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
            var i = 0;
            for (; i + 3 < InputCount; i += 4)
            {
                s0 += weights[i] * input[i];
                s1 += weights[i + 1] * input[i + 1];
                s2 += weights[i + 2] * input[i + 2];
                s3 += weights[i + 3] * input[i + 3];
            }

            for (; i < InputCount; i++)
            {
                s0 += weights[i] * input[i];
            }

            hidden[h] = Math.Max(0f, _hiddenBiases[h] + ((s0 + s1) + (s2 + s3)));
        }

        var max = double.NegativeInfinity;
        for (var c = 0; c < ClassCount; c++)
        {
            var logit = (double)_outputBiases[c];
            var weights = _outputWeights.AsSpan(c * HiddenCount, HiddenCount);
            for (var h = 0; h < HiddenCount; h++)
            {
                logit += weights[h] * hidden[h];
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
