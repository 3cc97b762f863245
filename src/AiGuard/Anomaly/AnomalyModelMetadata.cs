namespace AiGuard.Anomaly;

/// <summary>The model contract's names: input, output and metadata_props keys.</summary>
public static class AnomalyModelMetadata
{
    /// <summary>The input: float32 [N, F].</summary>
    public const string InputName = "features";

    /// <summary>The output: float32 [N] (or [N, 1]) in [0, 1].</summary>
    public const string OutputName = "score";

    /// <summary>Version of the feature vector the model was trained on; must match the gateway's.</summary>
    public const string FeatureSchemaVersion = "aiguard.feature_schema_version";

    /// <summary>Comma-separated feature names, in input column order.</summary>
    public const string FeatureNames = "aiguard.feature_names";

    /// <summary>Number of rows the model was trained on.</summary>
    public const string TrainingRows = "aiguard.training_rows";

    /// <summary>ISO-8601 UTC time the model was written.</summary>
    public const string CreatedAt = "aiguard.created_at";

    /// <summary>Training algorithm, e.g. isolation_forest or gradient_boosting.</summary>
    public const string Algorithm = "aiguard.algorithm";
}
