namespace AiGuard.Anomaly;

/// <summary>The model contract's names: input, accepted outputs and metadata_props keys.</summary>
public static class AnomalyModelMetadata
{
    /// <summary>The input: float32 [N, F].</summary>
    public const string InputName = "features";

    /// <summary>The output a hand-built model names its score: float32 [N] (or [N, 1]) in [0, 1].</summary>
    public const string OutputName = "score";

    /// <summary>
    /// What ML.NET's ONNX export names a binary classifier's calibrated probability (the
    /// <c>Probability</c> column plus ML.NET's <c>.output</c> suffix): float32 [N, 1].
    /// </summary>
    public const string ProbabilityOutputName = "Probability.output";

    /// <summary>Outputs the scorer reads, in order of preference: the first one the model has is the score.</summary>
    public static IReadOnlyList<string> AcceptedOutputNames { get; } = [OutputName, ProbabilityOutputName];

    /// <summary>Version of the feature vector the model was trained on; must match the gateway's.</summary>
    public const string FeatureSchemaVersion = "aiguard.feature_schema_version";

    /// <summary>Comma-separated feature names, in input column order.</summary>
    public const string FeatureNames = "aiguard.feature_names";

    /// <summary>Training algorithm, e.g. mlnet_fasttree_binary.</summary>
    public const string Algorithm = "aiguard.algorithm";
}
