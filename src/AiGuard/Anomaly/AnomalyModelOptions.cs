namespace AiGuard.Anomaly;

/// <summary>Which anomaly model to load and what it must be (configuration section <c>AiGuard:Anomaly:Model</c>).</summary>
public sealed class AnomalyModelOptions
{
    /// <summary>The configuration section these options bind from.</summary>
    public const string SectionName = "AiGuard:Anomaly:Model";

    /// <summary>Path of the .onnx file; its manifest, when there is one, is <c>&lt;name&gt;.manifest.json</c> beside it.</summary>
    public string Path { get; set; } = string.Empty;

    /// <summary>
    /// Expected SHA-256 of the file (64 hex digits). When set, any other file is refused; the
    /// gateway should always set it so a swapped model cannot be loaded silently.
    /// </summary>
    public string? Sha256 { get; set; }

    /// <summary>When set, the model's feature schema version (aiguard.feature_schema_version metadata, else the manifest's) must equal it.</summary>
    public string? ExpectedFeatureSchemaVersion { get; set; }

    /// <summary>Threads inside one scoring call; 1 keeps per-request latency predictable.</summary>
    public int IntraOpThreads { get; set; } = 1;

    /// <summary>
    /// Where a configured path points: as given when it exists (absolute, or relative to the
    /// working directory), else relative to the application's directory, where the shipped
    /// model is copied.
    /// </summary>
    public static string Resolve(string path) =>
        System.IO.Path.IsPathRooted(path) || File.Exists(path) ? path : System.IO.Path.Combine(AppContext.BaseDirectory, path);
}
