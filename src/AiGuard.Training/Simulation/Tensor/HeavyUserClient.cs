namespace AiGuard.Training.Simulation.Tensor;

/// <summary>
/// An application with real traffic: thousands of natural queries (sometimes a few rows at once)
/// in sessions of varied pace, with idle hours between them.
/// </summary>
public sealed class HeavyUserClient : BenignClient
{
    public override string Family => "heavy-user";

    protected override IEnumerable<TensorQuery> Queries(IVictimModel victim, Random random)
    {
        var pacing = new Pacing(random.NextLogUniform(0.2, 20), 0.7, random.NextLogUniform(50, 1000), 60, 7200);
        var session = new QuerySession(victim, pacing, random);
        var total = random.Next(2000, 20_001);
        for (var i = 0; i < total; i++)
        {
            yield return session.Send(NaturalRows(victim, random, random.NextDouble() < 0.85 ? 1 : random.Next(2, 9)));
        }
    }
}
