namespace AiGuard.Training.Simulation.Tensor;

/// <summary>A legitimate usage pattern, chosen because it fools naive detectors.</summary>
public abstract class BenignClient : TensorClient
{
    public sealed override bool IsAttack => false;

    /// <summary>Natural rows for one request.</summary>
    private protected static float[] NaturalRows(IVictimModel victim, Random random, int count) =>
        RowStreams.Rows(victim.InputSize, count, row => victim.SampleNatural(random, row));
}
