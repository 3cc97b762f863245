namespace AiGuard.Training.Simulation.Tensor;

/// <summary>
/// Where an evasion attack stands on one original input after a step: its current best input
/// and the answer the victim gave to it (a query the attack really sent).
/// </summary>
/// <param name="Sample">Which original of the run (0 for the first).</param>
/// <param name="Step">The attack's iteration on this original (0: the starting point).</param>
/// <param name="OriginalClass">The victim's label for the original, which the attack moves away from.</param>
public sealed record EvasionProgress(int Sample, int Step, float[] Original, int OriginalClass, float[] Current, float[] CurrentProbabilities)
{
    /// <summary>L2 distance from the original.</summary>
    public double Distance => TensorMath.Distance(Current, Original);

    /// <summary>Largest change of any single value.</summary>
    public double MaxChange
    {
        get
        {
            var max = 0.0;
            for (var i = 0; i < Current.Length; i++)
            {
                max = Math.Max(max, Math.Abs(Current[i] - Original[i]));
            }

            return max;
        }
    }

    /// <summary>log p(original class) minus the largest other log-probability: below 0 once misclassified.</summary>
    public double Margin => TensorMath.Margin(CurrentProbabilities, OriginalClass);

    public bool IsMisclassified => TensorMath.ArgMax(CurrentProbabilities) != OriginalClass;
}
