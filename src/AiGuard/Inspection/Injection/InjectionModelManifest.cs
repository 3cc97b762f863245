using System.Text.Json;
using System.Text.Json.Serialization;

namespace AiGuard.Inspection.Injection;

/// <summary>
/// What the prompt-injection model file cannot say about itself, in <c>&lt;model&gt;.manifest.json</c>
/// beside it: the feature version, the SHA-256 of the .onnx file, the tuned threshold and how
/// the model was trained and measured.
/// </summary>
public sealed record InjectionModelManifest
{
    /// <summary>Version of <see cref="InjectionFeatures"/> the model was trained on; must equal <see cref="InjectionFeatures.SchemaVersion"/>.</summary>
    public required string FeatureSchemaVersion { get; init; }

    /// <summary>Width of the input vector.</summary>
    public int FeatureCount { get; init; }

    /// <summary>SHA-256 (lowercase hex) of the .onnx file; a manifest for another file is refused.</summary>
    public required string ModelSha256 { get; init; }

    /// <summary>The score at or above which a text is taken for an injection, tuned on held-out training folds.</summary>
    public float Threshold { get; init; }

    /// <summary>Training algorithm, e.g. mlnet_lbfgs_logistic_regression.</summary>
    public string? Algorithm { get; init; }

    /// <summary>How the model was trained and tuned; informational.</summary>
    public InjectionTrainingRecord? Training { get; init; }

    /// <summary>The manifest path for a model path: <c>x.onnx</c> → <c>x.manifest.json</c>.</summary>
    public static string PathFor(string modelPath) => Path.ChangeExtension(modelPath, ".manifest.json");

    /// <summary>Reads and checks a manifest; every problem is an <see cref="InvalidDataException"/> naming the file.</summary>
    public static InjectionModelManifest Read(string path)
    {
        InjectionModelManifest? manifest;
        try
        {
            manifest = JsonSerializer.Deserialize(Anomaly.ModelFile.ReadAll(path), InjectionManifestJsonContext.Default.InjectionModelManifest);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Prompt-injection model manifest '{path}' is not valid: {e.Message}", e);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InvalidDataException($"Prompt-injection model manifest '{path}' could not be read: {e.Message}", e);
        }

        if (manifest is null || string.IsNullOrWhiteSpace(manifest.FeatureSchemaVersion)
            || manifest.ModelSha256 is not { Length: 64 } sha || !sha.All(char.IsAsciiHexDigit))
        {
            throw new InvalidDataException($"Prompt-injection model manifest '{path}' is not valid: feature_schema_version and a 64-hex-digit model_sha256 are required.");
        }

        if (!float.IsFinite(manifest.Threshold) || manifest.Threshold is <= 0 or >= 1)
        {
            throw new InvalidDataException($"Prompt-injection model manifest '{path}' is not valid: threshold must be between 0 and 1, but is {manifest.Threshold}.");
        }

        return manifest;
    }

    /// <summary>The manifest as indented UTF-8 JSON with snake_case names.</summary>
    public byte[] ToJsonBytes() => JsonSerializer.SerializeToUtf8Bytes(this, InjectionManifestJsonContext.Default.InjectionModelManifest);
}

/// <summary>How a prompt-injection model was trained, tuned and measured.</summary>
public sealed record InjectionTrainingRecord
{
    public DateTimeOffset CreatedAt { get; init; }

    public string? Trainer { get; init; }

    public int Seed { get; init; }

    public double L2 { get; init; }

    /// <summary>Rows (windows of texts) trained on, and how many were injections.</summary>
    public int Rows { get; init; }

    public int Positives { get; init; }

    /// <summary>The corpus files and the split: which part trained, which was kept for the report.</summary>
    public string? Data { get; init; }

    /// <summary>The false-positive rate the threshold was picked for (macro average over benign sources, out-of-fold).</summary>
    public double TargetFalsePositiveRate { get; init; }

    /// <summary>Out-of-fold figures at the threshold: macro benign false-positive rate and injection recall.</summary>
    public double TunedFalsePositiveRate { get; init; }

    public double TunedRecall { get; init; }
}

[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    WriteIndented = true,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(InjectionModelManifest))]
internal sealed partial class InjectionManifestJsonContext : JsonSerializerContext;
