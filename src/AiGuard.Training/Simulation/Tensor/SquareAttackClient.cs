namespace AiGuard.Training.Simulation.Tensor;

/// <summary>
/// The Square attack (Andriushchenko et al. 2020), L-infinity, untargeted, margin loss, as in the
/// authors' code: start from vertical stripes of +/-eps, then each query resets one random square
/// window to a single random +/-eps and keeps it if the margin dropped. The window's share of the
/// image, p, shrinks on the paper's schedule. For tabular inputs a "window" is a random subset of
/// the coordinates and the stripes are one random sign per coordinate.
/// </summary>
public sealed class SquareAttackClient(Action<EvasionProgress>? onProgress = null) : EvasionAttackClient(onProgress)
{
    private static readonly double[] ImageInitialShares = [0.05, 0.1, 0.3];

    public override string Family => "square";

    protected override IEnumerable<TensorQuery> Queries(IVictimModel victim, Random random)
    {
        var session = new QuerySession(victim, Pacing.ForAttackTool(random), random);
        var epsilon = (float)Perturbations.LinfEpsilon(victim, random);
        var initialShare = victim.ImageShape is null ? random.NextUniform(0.3, 0.6) : random.Pick(ImageInitialShares);
        var iterations = random.Next(1000, 10_001);
        for (var sample = 0; ; sample++)
        {
            foreach (var query in Attack(session, random, sample, epsilon, initialShare, iterations))
            {
                yield return query;
            }
        }
    }

    /// <summary>The paper's schedule for p, written for 10,000 iterations and rescaled to the budget.</summary>
    internal static double Share(double initial, int iteration, int iterations)
    {
        var it = (int)(iteration / (double)iterations * 10_000);
        return it switch
        {
            > 10 and <= 50 => initial / 2,
            > 50 and <= 200 => initial / 4,
            > 200 and <= 500 => initial / 8,
            > 500 and <= 1000 => initial / 16,
            > 1000 and <= 2000 => initial / 32,
            > 2000 and <= 4000 => initial / 64,
            > 4000 and <= 6000 => initial / 128,
            > 6000 and <= 8000 => initial / 256,
            > 8000 and <= 10_000 => initial / 512,
            _ => initial,
        };
    }

    private IEnumerable<TensorQuery> Attack(QuerySession session, Random random, int sample, float epsilon, double initialShare, int iterations)
    {
        var victim = session.Victim;
        var (min, max) = (victim.MinValue, victim.MaxValue);
        var dimension = victim.InputSize;
        var original = new float[dimension];
        victim.SampleNatural(random, original);
        var query = session.SendRow(original);
        yield return query;
        var trueClass = TensorMath.ArgMax(query.Probabilities);

        // Vertical stripes: one random sign per column (per coordinate for tabular inputs).
        var width = victim.ImageShape?.Width ?? dimension;
        var columnSigns = Enumerable.Range(0, width).Select(_ => random.Next(2) == 0 ? -epsilon : epsilon).ToArray();
        var best = new float[dimension];
        for (var i = 0; i < dimension; i++)
        {
            best[i] = Math.Clamp(original[i] + columnSigns[i % width], min, max);
        }

        query = session.Send(best);
        yield return query;
        var (bestProbabilities, bestMargin) = (query.Probabilities, TensorMath.Margin(query.Probabilities, trueClass));
        Report(sample, 0, original, trueClass, best, bestProbabilities);

        var deltas = new float[dimension];
        for (var iteration = 1; iteration <= iterations && bestMargin > 0; iteration++)
        {
            for (var i = 0; i < dimension; i++)
            {
                deltas[i] = best[i] - original[i];
            }

            var window = Window(victim, random, Share(initialShare, iteration, iterations));

            // Redraw the window's sign while it would not change the current best (an overlap).
            for (var tries = 0; tries < 10; tries++)
            {
                var value = random.Next(2) == 0 ? -epsilon : epsilon;
                foreach (var i in window)
                {
                    deltas[i] = value;
                }

                if (window.Any(i => Math.Abs(Math.Clamp(original[i] + deltas[i], min, max) - best[i]) >= 1e-7f))
                {
                    break;
                }
            }

            var candidate = new float[dimension];
            for (var i = 0; i < dimension; i++)
            {
                candidate[i] = Math.Clamp(original[i] + deltas[i], min, max);
            }

            query = session.Send(candidate);
            yield return query;
            var margin = TensorMath.Margin(query.Probabilities, trueClass);
            if (margin < bestMargin)
            {
                (best, bestProbabilities, bestMargin) = (candidate, query.Probabilities, margin);
            }

            Report(sample, iteration, original, trueClass, best, bestProbabilities);
        }
    }

    // A square of side round(sqrt(p * pixels)) at a random position, or round(p * d) random coordinates.
    private static int[] Window(IVictimModel victim, Random random, double share)
    {
        if (victim.ImageShape is not { } shape)
        {
            return random.SampleIndices(victim.InputSize, Math.Max((int)Math.Round(share * victim.InputSize), 1));
        }

        var side = Math.Clamp((int)Math.Round(Math.Sqrt(share * victim.InputSize)), 1, shape.Height - 1);
        var top = random.Next(shape.Height - side);
        var left = random.Next(shape.Width - side);
        var window = new int[side * side];
        for (var r = 0; r < side; r++)
        {
            for (var c = 0; c < side; c++)
            {
                window[(r * side) + c] = ((top + r) * shape.Width) + left + c;
            }
        }

        return window;
    }
}
