namespace AiGuard.Training.Simulation.Tensor;

/// <summary>
/// Jacobian-based dataset augmentation (Papernot et al. 2017): label a small natural seed set,
/// train a substitute on the labels, then each round label a new generation
/// x + lambda * sign(substitute Jacobian for x's label) of the previous data. Lambda flips sign
/// every tau rounds; after sigma rounds only a reservoir of kappa points is augmented per round,
/// as in the paper's periodic step size and reservoir sampling. After a campaign of 5-8 rounds
/// (the paper stops at 6) the attacker starts over with a new seed set and a new substitute.
/// </summary>
public sealed class PapernotClient : TensorClient
{
    private const int Tau = 3;
    private const int Sigma = 3;
    private const int Kappa = 400;
    private const int Epochs = 5;

    public override string Family => "papernot";

    public override bool IsAttack => true;

    protected override IEnumerable<TensorQuery> Queries(IVictimModel victim, Random random)
    {
        var session = new QuerySession(victim, Pacing.ForAttackTool(random), random);
        var rowsPerRequest = RowBatching.ForExtraction(random);
        var lambda = random.NextUniform(0.05, 0.15) * (victim.MaxValue - victim.MinValue);
        while (true)
        {
            foreach (var query in Campaign(session, random, rowsPerRequest, lambda, random.Next(5, 9)))
            {
                yield return query;
            }
        }
    }

    private static IEnumerable<TensorQuery> Campaign(QuerySession session, Random random, int rowsPerRequest, double lambda, int rounds)
    {
        var victim = session.Victim;
        var substitute = new SoftmaxSubstitute(victim.InputSize, victim.ClassCount, victim.MinValue, victim.MaxValue);
        var rows = new List<float[]>();
        var labels = new List<int>();
        var generation = RowStreams.Rows(victim.InputSize, random.Next(50, 151), row => victim.SampleNatural(random, row));
        for (var round = 0; round < rounds; round++)
        {
            var answers = new float[generation.Length / victim.InputSize * victim.ClassCount];
            foreach (var query in session.SendRows(generation, rowsPerRequest, answers))
            {
                yield return query;
            }

            for (var r = 0; r < answers.Length / victim.ClassCount; r++)
            {
                rows.Add(generation.AsSpan(r * victim.InputSize, victim.InputSize).ToArray());
                labels.Add(TensorMath.ArgMax(answers.AsSpan(r * victim.ClassCount, victim.ClassCount)));
            }

            if (round == rounds - 1)
            {
                yield break;
            }

            substitute.Train(rows, labels, Epochs, 0.5, random);

            var step = (round / Tau) % 2 == 0 ? lambda : -lambda;
            var sources = round < Sigma ? Enumerable.Range(0, rows.Count).ToArray() : random.SampleIndices(rows.Count, Kappa);
            generation = new float[sources.Length * victim.InputSize];
            var sign = new float[victim.InputSize];
            for (var s = 0; s < sources.Length; s++)
            {
                var source = rows[sources[s]];
                substitute.JacobianSign(source, labels[sources[s]], sign);
                var next = generation.AsSpan(s * victim.InputSize, victim.InputSize);
                for (var i = 0; i < next.Length; i++)
                {
                    next[i] = Math.Clamp((float)(source[i] + (step * sign[i])), victim.MinValue, victim.MaxValue);
                }
            }
        }
    }
}
