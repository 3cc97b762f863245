namespace AiGuard.Training.Simulation.Tensor;

/// <summary>
/// An extraction attacker's substitute model: softmax regression on inputs scaled to [0, 1],
/// trained by mini-batch gradient descent on the labels the victim returned.
/// </summary>
internal sealed class SoftmaxSubstitute
{
    private const int BatchSize = 32;

    private readonly int _inputs;
    private readonly int _classes;
    private readonly float _min;
    private readonly float _scale;
    private readonly double[] _weights; // [class * inputs + input]
    private readonly double[] _biases;

    public SoftmaxSubstitute(int inputs, int classes, float min, float max)
    {
        _inputs = inputs;
        _classes = classes;
        _min = min;
        _scale = 1f / (max - min);
        _weights = new double[inputs * classes];
        _biases = new double[classes];
    }

    /// <summary>Continues training on all the data collected so far (the substitute is kept between rounds).</summary>
    public void Train(IReadOnlyList<float[]> rows, IReadOnlyList<int> labels, int epochs, double learningRate, Random random)
    {
        var order = Enumerable.Range(0, rows.Count).ToArray();
        var input = new double[_inputs];
        var probabilities = new double[_classes];
        var weightGradient = new double[_weights.Length];
        var biasGradient = new double[_classes];
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            random.Shuffle(order);
            for (var start = 0; start < order.Length; start += BatchSize)
            {
                Array.Clear(weightGradient);
                Array.Clear(biasGradient);
                var end = Math.Min(start + BatchSize, order.Length);
                for (var k = start; k < end; k++)
                {
                    Probabilities(rows[order[k]], input, probabilities);
                    for (var c = 0; c < _classes; c++)
                    {
                        var error = probabilities[c] - (labels[order[k]] == c ? 1 : 0);
                        biasGradient[c] += error;
                        for (var i = 0; i < _inputs; i++)
                        {
                            weightGradient[(c * _inputs) + i] += error * input[i];
                        }
                    }
                }

                var rate = learningRate / (end - start);
                for (var w = 0; w < _weights.Length; w++)
                {
                    _weights[w] -= rate * weightGradient[w];
                }

                for (var c = 0; c < _classes; c++)
                {
                    _biases[c] -= rate * biasGradient[c];
                }
            }
        }
    }

    /// <summary>
    /// The sign of the gradient of the substitute's probability for <paramref name="label"/> with respect to the input:
    /// p_c (w_c - sum_k p_k w_k), whose sign is that of w_c - sum_k p_k w_k.
    /// </summary>
    public void JacobianSign(float[] row, int label, Span<float> destination)
    {
        var input = new double[_inputs];
        var probabilities = new double[_classes];
        Probabilities(row, input, probabilities);
        for (var i = 0; i < _inputs; i++)
        {
            var expected = 0.0;
            for (var c = 0; c < _classes; c++)
            {
                expected += probabilities[c] * _weights[(c * _inputs) + i];
            }

            destination[i] = Math.Sign(_weights[(label * _inputs) + i] - expected);
        }
    }

    private void Probabilities(float[] row, double[] input, double[] probabilities)
    {
        for (var i = 0; i < _inputs; i++)
        {
            input[i] = (row[i] - _min) * _scale;
        }

        var max = double.NegativeInfinity;
        for (var c = 0; c < _classes; c++)
        {
            var logit = _biases[c];
            for (var i = 0; i < _inputs; i++)
            {
                logit += _weights[(c * _inputs) + i] * input[i];
            }

            probabilities[c] = logit;
            max = Math.Max(max, logit);
        }

        var sum = 0.0;
        for (var c = 0; c < _classes; c++)
        {
            probabilities[c] = Math.Exp(probabilities[c] - max);
            sum += probabilities[c];
        }

        for (var c = 0; c < _classes; c++)
        {
            probabilities[c] /= sum;
        }
    }
}
