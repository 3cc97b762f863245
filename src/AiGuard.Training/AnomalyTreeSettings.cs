namespace AiGuard.Training;

/// <summary>
/// The boosted trees' size and step. Scoring time grows with trees x depth: 50 trees of 16
/// leaves score one row in 3 to 5 µs through ONNX Runtime, 100 trees of 20 leaves in about
/// 6 µs (docs/benchmarks.md), against a 15 µs budget per request for fingerprint, features and
/// score. The defaults (100 trees of 16 leaves, at least 50 rows a leaf, step 0.1) are the
/// smoother of the sizes compared in docs/anomaly-evaluation.md: on three seeds they flagged
/// fewer benign clients and more attacks of the victim the model never saw than 50 trees of
/// 16 leaves with 10 rows a leaf and step 0.2.
/// </summary>
public sealed record AnomalyTreeSettings
{
    /// <summary>Boosting rounds, one tree each.</summary>
    public int Trees { get; init; } = 100;

    /// <summary>Leaves per tree (FastTree grows leaf-wise up to this many).</summary>
    public int Leaves { get; init; } = 16;

    /// <summary>Fewest training rows a leaf may hold.</summary>
    public int MinRowsPerLeaf { get; init; } = 50;

    /// <summary>Shrinkage of each tree.</summary>
    public double LearningRate { get; init; } = 0.1;

    /// <summary>
    /// Share of the features each tree may split on, drawn afresh per tree. At 0.7 no single
    /// feature can carry every tree, so the score leans on several signals at once: with per-kind
    /// thresholds tuned on four times as many benign clients, evasion within 200 requests rose
    /// from 110-112 of 120 to 116-120 on the seeds where it was lowest (docs/anomaly-evaluation.md).
    /// </summary>
    public double FeatureFraction { get; init; } = 0.7;

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Trees, 1, nameof(Trees));
        ArgumentOutOfRangeException.ThrowIfLessThan(Leaves, 2, nameof(Leaves));
        ArgumentOutOfRangeException.ThrowIfLessThan(MinRowsPerLeaf, 1, nameof(MinRowsPerLeaf));
        if (LearningRate is not (> 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "must be in (0, 1]");
        }

        if (FeatureFraction is not (> 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(FeatureFraction), FeatureFraction, "must be in (0, 1]");
        }
    }
}
