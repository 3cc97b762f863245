namespace AiGuard.Training.Simulation.Tensor;

/// <summary>A health check: one fixed natural input resent at a fixed period (5 s to 5 min) with a little jitter.</summary>
public sealed class MonitoringProbeClient : BenignClient
{
    public override string Family => "monitoring-probe";

    protected override IEnumerable<TensorQuery> Queries(IVictimModel victim, Random random)
    {
        // The period decides every send (SendAfter): the pacing's own rate is never used.
        var session = new QuerySession(victim, new Pacing(1, 0), random);
        var period = random.NextUniform(5, 300);
        var jitter = random.NextUniform(0, 0.05);
        var probe = NaturalRows(victim, random, 1);
        while (true)
        {
            yield return session.SendAfter(period * (1 + (jitter * random.NextUniform(-1, 1))), (float[])probe.Clone());
        }
    }
}
