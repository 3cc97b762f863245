namespace AiGuard.Training.Simulation.Tensor;

/// <summary>
/// One original under a decision-based attack (HopSkipJump, Boundary): the original and its label,
/// the adversarial criterion, and the search for a starting point that already meets it.
/// Only the top-1 label of each answer is ever used.
/// </summary>
internal sealed class DecisionAttackSample
{
    private const int MaxStartTries = 1000;
    private const int MaxTargetTries = 100;

    private readonly QuerySession _session;

    public DecisionAttackSample(QuerySession session) => _session = session;

    public float[] Original { get; private set; } = [];

    public int OriginalClass { get; private set; }

    /// <summary>The class to reach, or -1 for any class but the original's.</summary>
    public int Target { get; private set; } = -1;

    /// <summary>The current adversarial input (every one was queried), null until a start is found.</summary>
    public float[]? Adversarial { get; set; }

    /// <summary>The victim's answer to <see cref="Adversarial"/>.</summary>
    public float[] AdversarialProbabilities { get; set; } = [];

    public bool IsAdversarial(ReadOnlySpan<float> probabilities)
    {
        var label = TensorMath.ArgMax(probabilities);
        return Target >= 0 ? label == Target : label != OriginalClass;
    }

    /// <summary>
    /// Draws and labels an original, then finds an adversarial starting point: for a targeted attack a
    /// natural input the victim puts in the target class; otherwise uniform noise the victim
    /// misclassifies, blended toward the original by binary search (as the authors' code and ART do).
    /// <see cref="Adversarial"/> stays null if nothing is found.
    /// </summary>
    public IEnumerable<TensorQuery> Begin(Random random, bool targeted)
    {
        var victim = _session.Victim;
        Original = new float[victim.InputSize];
        victim.SampleNatural(random, Original);
        var query = _session.SendRow(Original);
        yield return query;
        OriginalClass = TensorMath.ArgMax(query.Probabilities);
        Target = -1;
        Adversarial = null;

        if (targeted)
        {
            Target = (OriginalClass + random.Next(1, victim.ClassCount)) % victim.ClassCount;
            var candidate = new float[victim.InputSize];
            for (var i = 0; i < MaxTargetTries && Adversarial is null; i++)
            {
                victim.SampleNatural(random, candidate);
                query = _session.SendRow(candidate);
                yield return query;
                if (IsAdversarial(query.Probabilities))
                {
                    (Adversarial, AdversarialProbabilities) = (query.Rows, query.Probabilities);
                }
            }

            yield break;
        }

        var noise = new float[victim.InputSize];
        for (var i = 0; i < MaxStartTries && Adversarial is null; i++)
        {
            random.FillUniform(noise, victim.MinValue, victim.MaxValue);
            query = _session.SendRow(noise);
            yield return query;
            if (IsAdversarial(query.Probabilities))
            {
                (Adversarial, AdversarialProbabilities) = (query.Rows, query.Probabilities);
            }
        }

        if (Adversarial is null)
        {
            yield break;
        }

        var noiseStart = Adversarial;
        var (low, high) = (0.0, 1.0);
        while (high - low > 0.001)
        {
            var mid = (high + low) / 2;
            query = _session.Send(Blend(noiseStart, mid));
            yield return query;
            if (IsAdversarial(query.Probabilities))
            {
                high = mid;
                (Adversarial, AdversarialProbabilities) = (query.Rows, query.Probabilities);
            }
            else
            {
                low = mid;
            }
        }
    }

    /// <summary>(1 - alpha) * original + alpha * <paramref name="toward"/>, inside the value range.</summary>
    public float[] Blend(float[] toward, double alpha)
    {
        var blended = new float[Original.Length];
        for (var i = 0; i < blended.Length; i++)
        {
            blended[i] = (float)(((1 - alpha) * Original[i]) + (alpha * toward[i]));
        }

        TensorMath.Clip(blended, _session.Victim.MinValue, _session.Victim.MaxValue);
        return blended;
    }
}
