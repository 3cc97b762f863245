namespace AiGuard.Training.Simulation.Tensor;

/// <summary>
/// Knockoff Nets (Orekondy et al. 2019) with an in-distribution transfer set and the random
/// strategy: natural inputs of every class at volume, usually in batches, to label for a copy.
/// Indistinguishable from a heavy legitimate user request by request: only volume, coverage and
/// what the answers reveal tell them apart.
/// </summary>
public sealed class KnockoffClient : TensorClient
{
    public override string Family => "knockoff";

    public override bool IsAttack => true;

    protected override IEnumerable<TensorQuery> Queries(IVictimModel victim, Random random)
    {
        var session = new QuerySession(victim, Pacing.ForAttackTool(random), random);
        var batch = RowBatching.ForExtraction(random);
        return RowStreams.Endless(session, () => batch, row => victim.SampleNatural(random, row));
    }
}
