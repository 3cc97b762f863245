namespace AiGuard.Training.Simulation.Tensor;

/// <summary>
/// An application behind a flaky network: natural requests, some resent one to three times in a
/// row with exponential back-off, byte for byte identical.
/// </summary>
public sealed class RetryClient : BenignClient
{
    public override string Family => "retry";

    protected override IEnumerable<TensorQuery> Queries(IVictimModel victim, Random random)
    {
        var pacing = new Pacing(random.NextLogUniform(0.05, 5), 0.8, random.NextLogUniform(20, 200), 60, 3600);
        var session = new QuerySession(victim, pacing, random);
        var retryChance = random.NextUniform(0.03, 0.3);
        var batched = random.NextDouble() < 0.2;
        while (true)
        {
            var rows = NaturalRows(victim, random, batched ? random.Next(2, 9) : 1);
            yield return session.Send(rows);
            if (random.NextDouble() >= retryChance)
            {
                continue;
            }

            var (retries, delay) = (random.Next(1, 4), random.NextUniform(0.2, 2));
            for (var r = 0; r < retries; r++, delay *= 2)
            {
                yield return session.SendAfter(delay, (float[])rows.Clone());
            }
        }
    }
}
