namespace AiGuard.Training.Simulation.Tensor;

/// <summary>
/// The NES attack (Ilyas et al. 2018, query-limited setting), untargeted: the gradient of the
/// loss is estimated from antithetic Gaussian pairs x + sigma u, x - sigma u, then a projected
/// (L-infinity) signed gradient step is taken and the new input is checked. The step size halves
/// when the loss stops improving (the authors' plateau schedule).
/// </summary>
/// <remarks>
/// The loss is the margin of log-probabilities rather than log p(true class): from FP32 answers a
/// confident model's p(true class) rounds to exactly 1, whose log carries no gradient at all.
/// </remarks>
public sealed class NesClient(Action<EvasionProgress>? onProgress = null) : EvasionAttackClient(onProgress)
{
    private const int PlateauLength = 5;
    private static readonly int[] SamplesPerEstimate = [20, 50, 100];

    public override string Family => "nes";

    protected override IEnumerable<TensorQuery> Queries(IVictimModel victim, Random random)
    {
        var session = new QuerySession(victim, Pacing.ForAttackTool(random), random);
        var rowsPerRequest = RowBatching.ForAttackTool(random);
        var range = victim.MaxValue - victim.MinValue;
        var epsilon = Perturbations.LinfEpsilon(victim, random);
        var settings = new Settings(
            Samples: random.Pick(SamplesPerEstimate),
            Sigma: random.NextUniform(0.001, 0.01) * range,
            Epsilon: epsilon,
            LearningRate: epsilon / 5,
            Iterations: random.Next(100, 501));
        for (var sample = 0; ; sample++)
        {
            foreach (var query in Attack(session, random, sample, rowsPerRequest, settings))
            {
                yield return query;
            }
        }
    }

    private IEnumerable<TensorQuery> Attack(QuerySession session, Random random, int sample, int rowsPerRequest, Settings settings)
    {
        var victim = session.Victim;
        var (min, max, dimension, classes) = (victim.MinValue, victim.MaxValue, victim.InputSize, victim.ClassCount);
        var original = new float[dimension];
        victim.SampleNatural(random, original);
        var query = session.SendRow(original);
        yield return query;
        var trueClass = TensorMath.ArgMax(query.Probabilities);

        var current = original;
        var learningRate = settings.LearningRate;
        var (bestLoss, sinceBest) = (TensorMath.Margin(query.Probabilities, trueClass), 0);
        var directions = new float[settings.Samples / 2 * dimension];
        var probes = new float[settings.Samples * dimension];
        var answers = new float[settings.Samples * classes];
        Report(sample, 0, original, trueClass, current, query.Probabilities);
        for (var iteration = 1; iteration <= settings.Iterations; iteration++)
        {
            random.FillGaussian(directions);
            for (var pair = 0; pair < settings.Samples / 2; pair++)
            {
                var u = directions.AsSpan(pair * dimension, dimension);
                var plus = probes.AsSpan(2 * pair * dimension, dimension);
                var minus = probes.AsSpan(((2 * pair) + 1) * dimension, dimension);
                for (var i = 0; i < dimension; i++)
                {
                    plus[i] = Math.Clamp((float)(current[i] + (settings.Sigma * u[i])), min, max);
                    minus[i] = Math.Clamp((float)(current[i] - (settings.Sigma * u[i])), min, max);
                }
            }

            foreach (var sent in session.SendRows(probes, rowsPerRequest, answers))
            {
                yield return sent;
            }

            // Antithetic estimate of the loss's gradient; the step descends it.
            var gradient = new double[dimension];
            for (var pair = 0; pair < settings.Samples / 2; pair++)
            {
                var difference = TensorMath.Margin(answers.AsSpan(2 * pair * classes, classes), trueClass)
                    - TensorMath.Margin(answers.AsSpan(((2 * pair) + 1) * classes, classes), trueClass);
                for (var i = 0; i < dimension; i++)
                {
                    gradient[i] += difference * directions[(pair * dimension) + i];
                }
            }

            var next = new float[dimension];
            for (var i = 0; i < dimension; i++)
            {
                var stepped = current[i] - (learningRate * Math.Sign(gradient[i]));
                next[i] = (float)Math.Clamp(Math.Clamp(stepped, original[i] - settings.Epsilon, original[i] + settings.Epsilon), min, max);
            }

            query = session.Send(next);
            yield return query;
            current = next;
            Report(sample, iteration, original, trueClass, current, query.Probabilities);
            if (TensorMath.ArgMax(query.Probabilities) != trueClass)
            {
                yield break;
            }

            var loss = TensorMath.Margin(query.Probabilities, trueClass);
            if (loss < bestLoss)
            {
                (bestLoss, sinceBest) = (loss, 0);
            }
            else if (++sinceBest >= PlateauLength)
            {
                (learningRate, sinceBest) = (Math.Max(learningRate / 2, settings.LearningRate / 20), 0);
            }
        }
    }

    private sealed record Settings(int Samples, double Sigma, double Epsilon, double LearningRate, int Iterations);
}
