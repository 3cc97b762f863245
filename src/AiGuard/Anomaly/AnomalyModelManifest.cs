using System.Text.Json;
using System.Text.Json.Serialization;

namespace AiGuard.Anomaly;

/// <summary>
/// What a model file cannot say about itself, in <c>&lt;model&gt;.manifest.json</c> next to it
/// (ML.NET's ONNX export cannot write metadata_props): the feature schema version and names,
/// the benign medians that explain a score, the SHA-256 of the .onnx file it belongs to, and
/// how the model was trained. Read by <see cref="AnomalyScorer.Load"/> when present.
/// </summary>
public sealed record AnomalyModelManifest
{
    /// <summary>What replaces the model file's extension: <c>model.onnx</c> → <c>model.manifest.json</c>.</summary>
    public const string FileSuffix = ".manifest.json";

    /// <summary>Version of the feature vector (<see cref="AnomalyFeatures.SchemaVersion"/>) the model was trained on.</summary>
    public required string FeatureSchemaVersion { get; init; }

    /// <summary>Feature names in input column order.</summary>
    public IReadOnlyList<string>? FeatureNames { get; init; }

    /// <summary>Median of each feature over the benign training rows, in input column order.</summary>
    public IReadOnlyList<float>? BenignMedians { get; init; }

    /// <summary>SHA-256 (lowercase hex) of the .onnx file this manifest describes; a manifest for another file is refused.</summary>
    public required string ModelSha256 { get; init; }

    /// <summary>Training algorithm, e.g. mlnet_fasttree_binary.</summary>
    public string? Algorithm { get; init; }

    /// <summary>How the model was trained; informational, not checked.</summary>
    public AnomalyTrainingRecord? Training { get; init; }

    /// <summary>The manifest path for a model path.</summary>
    public static string PathFor(string modelPath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        return Path.ChangeExtension(modelPath, FileSuffix);
    }

    /// <summary>Reads and checks a manifest; every problem is an <see cref="AnomalyModelException"/> naming the file.</summary>
    public static AnomalyModelManifest Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        AnomalyModelManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize(ModelFile.ReadAll(path), AnomalyManifestJsonContext.Default.AnomalyModelManifest);
        }
        catch (JsonException e)
        {
            throw new AnomalyModelException($"Anomaly model manifest '{path}' is not valid: {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AnomalyModelException($"Cannot read anomaly model manifest '{path}': {e.Message}", e);
        }

        if (manifest is null)
        {
            throw new AnomalyModelException($"Anomaly model manifest '{path}' is not valid: it is JSON null, not an object.");
        }

        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(manifest.FeatureSchemaVersion))
        {
            problems.Add("feature_schema_version is empty");
        }

        // A JSON null passes the required check, so every field is checked for null here.
        if (manifest.ModelSha256 is not { Length: 64 } sha256 || !sha256.All(char.IsAsciiHexDigit))
        {
            problems.Add($"model_sha256 must be 64 hex digits, but is {(manifest.ModelSha256 is null ? "null" : $"'{manifest.ModelSha256}'")}");
        }

        if (manifest.FeatureNames is { } names && names.Any(string.IsNullOrWhiteSpace))
        {
            problems.Add("feature_names has an empty name");
        }

        if (problems.Count > 0)
        {
            throw new AnomalyModelException($"Anomaly model manifest '{path}' is not valid: {string.Join("; ", problems)}.");
        }

        return manifest;
    }

    /// <summary>The manifest as indented UTF-8 JSON with snake_case names.</summary>
    public byte[] ToJsonBytes() => JsonSerializer.SerializeToUtf8Bytes(this, AnomalyManifestJsonContext.Default.AnomalyModelManifest);
}

/// <summary>The training facts a manifest records: seeds, settings, data sizes, metrics and when.</summary>
public sealed record AnomalyTrainingRecord
{
    public DateTimeOffset CreatedAt { get; init; }

    /// <summary>The library and trainer, e.g. "ML.NET 5.0.1 FastTreeBinaryTrainer".</summary>
    public string? Trainer { get; init; }

    public int Seed { get; init; }

    public int Trees { get; init; }

    public int Leaves { get; init; }

    public int MinRowsPerLeaf { get; init; }

    public double LearningRate { get; init; }

    /// <summary>Share of the features each tree could split on (null in models trained before it was recorded: all).</summary>
    public double? FeatureFraction { get; init; }

    /// <summary>Rows the model was trained on.</summary>
    public int Rows { get; init; }

    /// <summary>Training rows labelled attack.</summary>
    public int Positives { get; init; }

    /// <summary>Rows held out of training to measure it (0: none).</summary>
    public int HoldoutRows { get; init; }

    public int HoldoutPositives { get; init; }

    /// <summary>Area under the ROC curve on the held-out rows; null without a held-out part with both classes.</summary>
    public double? HoldoutAuc { get; init; }

    /// <summary>The simulated traffic it was trained on (victims, families, clients, seeds), when simulated.</summary>
    public string? Traffic { get; init; }

    /// <summary>
    /// For tensor routes (classifiers, OIP v2, TF-Serving): the score that flagged at most
    /// <see cref="TunedFalsePositiveRate"/> of separate benign tensor clients; a starting point for
    /// a policy's first threshold. Models trained before thresholds were tuned per kind of
    /// client give one threshold for both kinds here.
    /// </summary>
    public double? RecommendedThreshold { get; init; }

    /// <summary>The same for LLM routes, tuned on benign LLM clients alone (null in models that give one threshold).</summary>
    public double? RecommendedTextThreshold { get; init; }

    /// <summary>The share of benign tuning clients the recommended threshold may flag.</summary>
    public double? TunedFalsePositiveRate { get; init; }

    /// <summary>Benign tuning clients the threshold was chosen on.</summary>
    public int? TuningBenignClients { get; init; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(AnomalyModelManifest))]
internal sealed partial class AnomalyManifestJsonContext : JsonSerializerContext;
