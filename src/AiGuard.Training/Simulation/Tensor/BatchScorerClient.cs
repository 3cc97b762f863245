namespace AiGuard.Training.Simulation.Tensor;

/// <summary>
/// A scheduled scoring job: batches of natural rows sent back to back while the job runs, then
/// nothing for minutes to hours until the next one. Heavy in-distribution volume, like Knockoff.
/// </summary>
public sealed class BatchScorerClient : BenignClient
{
    public override string Family => "batch-scorer";

    protected override IEnumerable<TensorQuery> Queries(IVictimModel victim, Random random)
    {
        var pacing = new Pacing(random.NextLogUniform(0.5, 10), 0.3, random.NextLogUniform(5, 50), 600, 6 * 3600);
        var session = new QuerySession(victim, pacing, random);
        var batch = (int)random.NextLogUniform(10, 200);
        return RowStreams.Endless(session, () => batch, row => victim.SampleNatural(random, row));
    }
}
