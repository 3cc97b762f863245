namespace AiGuard.Training.Simulation.Tensor;

/// <summary>An A/B comparison: each natural input sent twice in a row, milliseconds apart, as if to two routes.</summary>
public sealed class AbTestClient : BenignClient
{
    public override string Family => "ab-test";

    protected override IEnumerable<TensorQuery> Queries(IVictimModel victim, Random random)
    {
        var pacing = new Pacing(random.NextLogUniform(0.1, 10), 0.6, random.NextLogUniform(50, 500), 60, 3600);
        var session = new QuerySession(victim, pacing, random);
        var batched = random.NextDouble() < 0.2;
        while (true)
        {
            var rows = NaturalRows(victim, random, batched ? random.Next(2, 17) : 1);
            yield return session.Send(rows);
            yield return session.SendAfter(random.NextUniform(0.001, 0.05), (float[])rows.Clone());
        }
    }
}
