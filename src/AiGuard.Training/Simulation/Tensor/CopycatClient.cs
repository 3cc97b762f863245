namespace AiGuard.Training.Simulation.Tensor;

/// <summary>
/// Copycat CNN (Correia-Silva et al. 2018): natural inputs from another domain (the paper's
/// non-problem-domain images), labelled at volume, in batches; some runs mix in a small share of
/// problem-domain inputs, as the paper's second variant does.
/// </summary>
public sealed class CopycatClient : TensorClient
{
    public override string Family => "copycat";

    public override bool IsAttack => true;

    protected override IEnumerable<TensorQuery> Queries(IVictimModel victim, Random random)
    {
        var session = new QuerySession(victim, Pacing.ForAttackTool(random), random);
        var batch = RowBatching.ForExtraction(random);
        var problemDomainShare = random.NextDouble() < 0.5 ? 0 : random.NextUniform(0.05, 0.2);
        return RowStreams.Endless(session, () => batch, row =>
        {
            if (random.NextDouble() < problemDomainShare)
            {
                victim.SampleNatural(random, row);
            }
            else
            {
                victim.SampleOutOfDomain(random, row);
            }
        });
    }
}
