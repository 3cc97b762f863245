namespace AiGuard.Training.Simulation.Tensor;

/// <summary>
/// The Boundary attack (Brendel, Rauber, Bethge 2018), as foolbox implements it: from an adversarial
/// start, each step draws a random perturbation orthogonal to the direction of the original
/// (a step on the sphere around it), then a step toward the original, and keeps the candidate if it
/// is still adversarial. Both step sizes adapt to the recent success rates. Uses only top-1 labels.
/// </summary>
public sealed class BoundaryAttackClient(Action<EvasionProgress>? onProgress = null) : EvasionAttackClient(onProgress)
{
    private const double InitialStep = 0.01;
    private const double StepAdaptation = 1.5;
    private const int UpdateStatsEvery = 10;
    private const int SphericalStatsLength = 100;
    private const int StepStatsLength = 30;
    private const double Convergence = 1e-7;

    public override string Family => "boundary";

    protected override IEnumerable<TensorQuery> Queries(IVictimModel victim, Random random)
    {
        var session = new QuerySession(victim, Pacing.ForAttackTool(random), random);
        var targeted = random.NextDouble() < 0.3;
        var steps = random.Next(1000, 5001);
        for (var sample = 0; ; sample++)
        {
            foreach (var query in Attack(session, random, sample, targeted, steps))
            {
                yield return query;
            }
        }
    }

    private IEnumerable<TensorQuery> Attack(QuerySession session, Random random, int sample, bool targeted, int steps)
    {
        var state = new DecisionAttackSample(session);
        foreach (var query in state.Begin(random, targeted))
        {
            yield return query;
        }

        if (state.Adversarial is null)
        {
            yield break;
        }

        var (min, max) = (session.Victim.MinValue, session.Victim.MaxValue);
        var original = state.Original;
        var dimension = original.Length;
        var (sphericalStep, sourceStep) = (InitialStep, InitialStep);
        var sphericalStats = new Queue<bool>();
        var stepStats = new Queue<bool>();
        var eta = new float[dimension];
        Report(sample, 0, original, state.OriginalClass, state.Adversarial, state.AdversarialProbabilities);
        for (var step = 1; step <= steps && sourceStep > Convergence; step++)
        {
            var best = state.Adversarial;
            var toOriginal = new float[dimension];
            for (var i = 0; i < dimension; i++)
            {
                toOriginal[i] = original[i] - best[i];
            }

            var sourceNorm = TensorMath.Norm(toOriginal);

            // A random direction, made orthogonal to the original's and scaled to the spherical step.
            random.FillGaussian(eta);
            var along = TensorMath.Dot(eta, toOriginal) / (sourceNorm * sourceNorm);
            for (var i = 0; i < dimension; i++)
            {
                eta[i] -= (float)(along * toOriginal[i]);
            }

            var scale = sphericalStep * sourceNorm / TensorMath.Norm(eta);
            var spherical = new float[dimension];
            var shrink = 1 / Math.Sqrt((sphericalStep * sphericalStep) + 1);
            for (var i = 0; i < dimension; i++)
            {
                spherical[i] = (float)(original[i] + (shrink * ((scale * eta[i]) - toOriginal[i])));
            }

            TensorMath.Clip(spherical, min, max);

            // Then toward the original by the source step, measured from the old distance.
            var towardOriginal = new float[dimension];
            for (var i = 0; i < dimension; i++)
            {
                towardOriginal[i] = original[i] - spherical[i];
            }

            var newNorm = TensorMath.Norm(towardOriginal);
            var length = Math.Max(0, (sourceStep * sourceNorm) + newNorm - sourceNorm) / newNorm;
            var candidate = new float[dimension];
            for (var i = 0; i < dimension; i++)
            {
                candidate[i] = (float)(spherical[i] + (length * towardOriginal[i]));
            }

            TensorMath.Clip(candidate, min, max);
            var query = session.Send(candidate);
            yield return query;
            var candidateIsAdversarial = state.IsAdversarial(query.Probabilities);
            if (candidateIsAdversarial && TensorMath.Distance(candidate, original) < sourceNorm)
            {
                (state.Adversarial, state.AdversarialProbabilities) = (query.Rows, query.Probabilities);
            }

            // Every k-th step the spherical candidate is checked too, for the step-size statistics.
            if (step % UpdateStatsEvery == 0)
            {
                query = session.Send(spherical);
                yield return query;
                Push(sphericalStats, state.IsAdversarial(query.Probabilities), SphericalStatsLength);
                Push(stepStats, candidateIsAdversarial, StepStatsLength);
                (sphericalStep, sourceStep) = Adapt(sphericalStats, stepStats, sphericalStep, sourceStep);
            }

            Report(sample, step, original, state.OriginalClass, state.Adversarial, state.AdversarialProbabilities);
        }
    }

    private static (double Spherical, double Source) Adapt(Queue<bool> sphericalStats, Queue<bool> stepStats, double spherical, double source)
    {
        if (sphericalStats.Count == SphericalStatsLength)
        {
            var rate = sphericalStats.Count(s => s) / (double)SphericalStatsLength;
            if (rate > 0.5)
            {
                (spherical, source) = (spherical * StepAdaptation, source * StepAdaptation);
            }
            else if (rate < 0.2)
            {
                (spherical, source) = (spherical / StepAdaptation, source / StepAdaptation);
            }

            sphericalStats.Clear();
        }

        if (stepStats.Count == StepStatsLength)
        {
            var rate = stepStats.Count(s => s) / (double)StepStatsLength;
            if (rate > 0.25)
            {
                source *= StepAdaptation;
            }
            else if (rate < 0.1)
            {
                source /= StepAdaptation;
            }

            stepStats.Clear();
        }

        return (spherical, source);
    }

    private static void Push(Queue<bool> stats, bool success, int capacity)
    {
        if (stats.Count == capacity)
        {
            stats.Dequeue();
        }

        stats.Enqueue(success);
    }
}
