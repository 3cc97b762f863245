namespace AiGuard.Training.Simulation.Tensor;

/// <summary>How large a change the L-infinity attacks allow themselves.</summary>
internal static class Perturbations
{
    /// <summary>
    /// Images: 0.1-0.3 of the value range, the usual budgets for digit-like data (0.3 on MNIST).
    /// Tabular rows: 0.03-0.12 of the range, which is already a large share of a feature's natural spread.
    /// </summary>
    public static double LinfEpsilon(IVictimModel victim, Random random) =>
        (victim.ImageShape is null ? random.NextUniform(0.03, 0.12) : random.NextUniform(0.1, 0.3)) * (victim.MaxValue - victim.MinValue);
}
