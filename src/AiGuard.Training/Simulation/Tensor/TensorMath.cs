namespace AiGuard.Training.Simulation.Tensor;

/// <summary>Random draws and vector arithmetic shared by the victims and the simulated clients.</summary>
internal static class TensorMath
{
    // Below float's smallest normal value: a probability that rounded to 0 still has a finite log.
    private const double LogFloor = 1e-38;

    /// <summary>A standard normal draw (Box-Muller: System.Random has no normal distribution of its own).</summary>
    public static double NextGaussian(this Random random)
    {
        var u1 = 1.0 - random.NextDouble();
        var u2 = random.NextDouble();
        return Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
    }

    public static double NextUniform(this Random random, double min, double max) => min + ((max - min) * random.NextDouble());

    /// <summary>A draw whose logarithm is uniform: rates and sizes that span orders of magnitude.</summary>
    public static double NextLogUniform(this Random random, double min, double max) =>
        Math.Exp(random.NextUniform(Math.Log(min), Math.Log(max)));

    public static T Pick<T>(this Random random, IReadOnlyList<T> items) => items[random.Next(items.Count)];

    public static void FillGaussian(this Random random, Span<float> destination)
    {
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = (float)random.NextGaussian();
        }
    }

    public static void FillUniform(this Random random, Span<float> destination, float min, float max)
    {
        for (var i = 0; i < destination.Length; i++)
        {
            destination[i] = (float)random.NextUniform(min, max);
        }
    }

    /// <summary>Distinct indices in [0, <paramref name="count"/>), in draw order (a partial Fisher-Yates shuffle).</summary>
    public static int[] SampleIndices(this Random random, int count, int take)
    {
        var all = new int[count];
        for (var i = 0; i < count; i++)
        {
            all[i] = i;
        }

        take = Math.Min(take, count);
        for (var i = 0; i < take; i++)
        {
            var j = random.Next(i, count);
            (all[i], all[j]) = (all[j], all[i]);
        }

        return all[..take];
    }

    public static void Clip(Span<float> values, float min, float max)
    {
        for (var i = 0; i < values.Length; i++)
        {
            values[i] = Math.Clamp(values[i], min, max);
        }
    }

    public static double Norm(ReadOnlySpan<float> values)
    {
        var sum = 0.0;
        foreach (var value in values)
        {
            sum += (double)value * value;
        }

        return Math.Sqrt(sum);
    }

    public static double Distance(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var sum = 0.0;
        for (var i = 0; i < a.Length; i++)
        {
            var difference = (double)a[i] - b[i];
            sum += difference * difference;
        }

        return Math.Sqrt(sum);
    }

    public static double Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
    {
        var sum = 0.0;
        for (var i = 0; i < a.Length; i++)
        {
            sum += (double)a[i] * b[i];
        }

        return sum;
    }

    public static int ArgMax(ReadOnlySpan<float> values)
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

    public static double Log(float probability) => Math.Log(Math.Max(probability, LogFloor));

    /// <summary>
    /// log p[class] minus the largest other log-probability: negative once the input is misclassified.
    /// Equal to the logit margin for a softmax output, which is what score-based attacks minimize.
    /// </summary>
    public static double Margin(ReadOnlySpan<float> probabilities, int trueClass)
    {
        var other = double.NegativeInfinity;
        for (var c = 0; c < probabilities.Length; c++)
        {
            if (c != trueClass)
            {
                other = Math.Max(other, Log(probabilities[c]));
            }
        }

        return Log(probabilities[trueClass]) - other;
    }
}
