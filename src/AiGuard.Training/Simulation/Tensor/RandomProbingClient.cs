namespace AiGuard.Training.Simulation.Tensor;

/// <summary>
/// Equation-solving extraction (Tramer et al. 2016): inputs drawn uniformly from the whole value
/// range, far from any natural input, their confidence scores collected to solve for the
/// model's parameters (about as many queries as parameters).
/// </summary>
public sealed class RandomProbingClient : TensorClient
{
    public override string Family => "random-probing";

    public override bool IsAttack => true;

    protected override IEnumerable<TensorQuery> Queries(IVictimModel victim, Random random)
    {
        var session = new QuerySession(victim, Pacing.ForAttackTool(random), random);
        var batch = RowBatching.ForExtraction(random);
        return RowStreams.Endless(session, () => batch, row => random.FillUniform(row, victim.MinValue, victim.MaxValue));
    }
}
