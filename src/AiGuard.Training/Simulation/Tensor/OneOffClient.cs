namespace AiGuard.Training.Simulation.Tensor;

/// <summary>Someone trying the model: a handful of natural queries, seconds to minutes apart, then nothing.</summary>
public sealed class OneOffClient : BenignClient
{
    public override string Family => "one-off";

    protected override IEnumerable<TensorQuery> Queries(IVictimModel victim, Random random)
    {
        var session = new QuerySession(victim, new Pacing(random.NextLogUniform(0.01, 1), 1.0), random);
        var count = random.Next(1, 11);
        for (var i = 0; i < count; i++)
        {
            yield return session.Send(NaturalRows(victim, random, 1));
        }
    }
}
