using AiGuard.Inspection.Output;
using AiGuard.Training.Simulation;

namespace AiGuard.Training.Evaluation;

/// <summary>
/// How much of a model a Knockoff-style extraction copies: the attacker sends natural,
/// in-distribution inputs (which look like a heavy legitimate user), trains a surrogate on the
/// answers it got, and the surrogate's agreement with the victim on fresh inputs is its
/// fidelity. Measured with the answers as the model gives them and as the gateway's hardening
/// leaves them.
/// </summary>
public static class SurrogateFidelity
{
    /// <summary>
    /// Fidelity: the share of fresh natural inputs on which surrogate and victim agree on the top
    /// class, and the same on uniform random inputs of the valid range (Tramer et al.'s R_test and
    /// R_unif, as agreement).
    /// </summary>
    public static (double Natural, double Uniform) Measure(IVictimModel victim, int queries, OutputHardening? hardening, int seed, int testInputs = 2000)
    {
        var random = new Random(seed);
        var inputs = victim.InputSize;
        var classes = victim.ClassCount;
        var rows = new float[queries][];
        var targets = new double[queries][];
        var answer = new float[classes];
        for (var q = 0; q < queries; q++)
        {
            rows[q] = new float[inputs];
            victim.SampleNatural(random, rows[q]);
            victim.Predict(rows[q], answer);
            var hardened = answer.Select(v => (double)v).ToArray();
            if (hardening is not null)
            {
                ProbabilityHardeningStage.Apply(hardened, classes, hardening);
            }

            // What the attacker learns from: the answer as a distribution (a hardened one may no longer sum to 1).
            var sum = hardened.Sum();
            targets[q] = sum > 0 ? [.. hardened.Select(v => v / sum)] : [.. Enumerable.Repeat(1.0 / classes, classes)];
        }

        var surrogate = Train(rows, targets, victim, random);
        var test = new float[inputs];
        double Agreement(Action<float[]> draw)
        {
            var agree = 0;
            for (var t = 0; t < testInputs; t++)
            {
                draw(test);
                victim.Predict(test, answer);
                if (ArgMax(surrogate(test)) == ArgMax([.. answer.Select(v => (double)v)]))
                {
                    agree++;
                }
            }

            return (double)agree / testInputs;
        }

        var natural = Agreement(row => victim.SampleNatural(random, row));
        var uniform = Agreement(row =>
        {
            for (var f = 0; f < row.Length; f++)
            {
                row[f] = victim.MinValue + ((float)random.NextDouble() * (victim.MaxValue - victim.MinValue));
            }
        });
        return (natural, uniform);
    }

    /// <summary>A softmax regression on the inputs scaled to [0, 1], fitted to soft targets by mini-batch gradient descent.</summary>
    private static Func<float[], double[]> Train(float[][] rows, double[][] targets, IVictimModel victim, Random random)
    {
        var inputs = victim.InputSize;
        var classes = victim.ClassCount;
        var scale = 1.0 / Math.Max(victim.MaxValue - victim.MinValue, 1e-9);
        var weights = new double[classes, inputs + 1];
        var order = Enumerable.Range(0, rows.Length).ToArray();
        var x = new double[inputs + 1];
        var gradient = new double[classes, inputs + 1];
        const int epochs = 60;
        const int batch = 32;
        for (var epoch = 0; epoch < epochs; epoch++)
        {
            random.Shuffle(order);
            var rate = 0.5 / (1 + (epoch * 0.05));
            for (var start = 0; start < order.Length; start += batch)
            {
                Array.Clear(gradient);
                var end = Math.Min(order.Length, start + batch);
                for (var i = start; i < end; i++)
                {
                    Scale(rows[order[i]], victim.MinValue, scale, x);
                    var p = Softmax(weights, x);
                    for (var c = 0; c < classes; c++)
                    {
                        var error = p[c] - targets[order[i]][c];
                        for (var f = 0; f <= inputs; f++)
                        {
                            gradient[c, f] += error * x[f];
                        }
                    }
                }

                for (var c = 0; c < classes; c++)
                {
                    for (var f = 0; f <= inputs; f++)
                    {
                        weights[c, f] -= rate * gradient[c, f] / (end - start);
                    }
                }
            }
        }

        return row =>
        {
            var scaled = new double[inputs + 1];
            Scale(row, victim.MinValue, scale, scaled);
            return Softmax(weights, scaled);
        };
    }

    private static void Scale(float[] row, float min, double scale, double[] destination)
    {
        for (var f = 0; f < row.Length; f++)
        {
            destination[f] = (row[f] - min) * scale;
        }

        destination[row.Length] = 1;
    }

    private static double[] Softmax(double[,] weights, double[] x)
    {
        var classes = weights.GetLength(0);
        var logits = new double[classes];
        for (var c = 0; c < classes; c++)
        {
            for (var f = 0; f < x.Length; f++)
            {
                logits[c] += weights[c, f] * x[f];
            }
        }

        var max = logits.Max();
        var sum = 0.0;
        for (var c = 0; c < classes; c++)
        {
            logits[c] = Math.Exp(logits[c] - max);
            sum += logits[c];
        }

        for (var c = 0; c < classes; c++)
        {
            logits[c] /= sum;
        }

        return logits;
    }

    private static int ArgMax(double[] values)
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
