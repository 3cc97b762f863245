namespace AiGuard.Training;

/// <summary>Knobs of the trainers. Defaults are the usual ones from the literature.</summary>
public sealed record AnomalyTrainingOptions
{
    /// <summary>Seeds every random choice, so the same table and options give the same model.</summary>
    public int Seed { get; init; } = 42;

    /// <summary>Number of trees (isolation trees or boosting rounds).</summary>
    public int Trees { get; init; } = 100;

    /// <summary>Isolation forest sub-sample size psi; 256 as in Liu et al. (2008).</summary>
    public int SampleSize { get; init; } = 256;

    /// <summary>Depth of each boosted tree.</summary>
    public int MaxDepth { get; init; } = 3;

    /// <summary>Shrinkage of each boosted tree.</summary>
    public double LearningRate { get; init; } = 0.1;

    /// <summary>Fraction of rows each boosted tree sees (stochastic gradient boosting).</summary>
    public double Subsample { get; init; } = 0.8;

    /// <summary>Written to aiguard.feature_schema_version.</summary>
    public string SchemaVersion { get; init; } = "1";

    internal void Validate()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(Trees, 1, nameof(Trees));
        ArgumentOutOfRangeException.ThrowIfLessThan(SampleSize, 2, nameof(SampleSize));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxDepth, 1, nameof(MaxDepth));
        if (LearningRate is not (> 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(LearningRate), LearningRate, "must be in (0, 1]");
        }

        if (Subsample is not (> 0 and <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(Subsample), Subsample, "must be in (0, 1]");
        }

        if (string.IsNullOrWhiteSpace(SchemaVersion))
        {
            throw new ArgumentException("The feature schema version must not be empty.", nameof(SchemaVersion));
        }
    }
}
