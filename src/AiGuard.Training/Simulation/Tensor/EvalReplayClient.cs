namespace AiGuard.Training.Simulation.Tensor;

/// <summary>
/// An evaluation harness: a fixed test set of 50-200 natural inputs replayed in the same order,
/// one to five passes (a pass per model version or config), minutes to hours apart.
/// </summary>
public sealed class EvalReplayClient : BenignClient
{
    public override string Family => "eval-replay";

    protected override IEnumerable<TensorQuery> Queries(IVictimModel victim, Random random)
    {
        var session = new QuerySession(victim, new Pacing(random.NextLogUniform(1, 20), 0.3), random);
        var testSet = NaturalRows(victim, random, random.Next(50, 201));
        var rowsPerRequest = random.NextDouble() < 0.7 ? 1 : random.Next(8, 33);
        var passes = random.Next(1, 6);
        for (var pass = 0; pass < passes; pass++)
        {
            session.Pause(random.NextLogUniform(30, 7200));
            foreach (var query in session.SendRows(testSet, rowsPerRequest, new float[testSet.Length / victim.InputSize * victim.ClassCount]))
            {
                yield return query;
            }
        }
    }
}
