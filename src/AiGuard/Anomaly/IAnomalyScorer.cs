namespace AiGuard.Anomaly;

/// <summary>
/// Scores per-client feature vectors: 0 = typical, 1 = anomalous. The one seam between the
/// gateway's anomaly engine and ONNX Runtime. Implementations are safe to call from many
/// threads at once.
/// </summary>
public interface IAnomalyScorer
{
    /// <summary>Number of features in a row, in the model's input column order.</summary>
    int FeatureCount { get; }

    /// <summary>Feature names in input column order, when the model declares them.</summary>
    IReadOnlyList<string>? FeatureNames { get; }

    /// <summary>
    /// Median of each feature over the benign rows the model was trained on, in input column
    /// order (from the model's manifest), to explain a score by how far a client's features are
    /// from typical; null when the model has no manifest with them.
    /// </summary>
    IReadOnlyList<float>? BenignMedians { get; }

    /// <summary>SHA-256 of the loaded model file (lowercase hex), for audit records.</summary>
    string Sha256 { get; }

    /// <summary>Scores one row of <see cref="FeatureCount"/> values.</summary>
    float Score(ReadOnlySpan<float> row);

    /// <summary>Scores rows laid out one after another, writing one score per row.</summary>
    void Score(ReadOnlySpan<float> rows, Span<float> scores);
}
