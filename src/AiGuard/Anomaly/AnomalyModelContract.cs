using System.Globalization;
using AiGuard.Onnx;

namespace AiGuard.Anomaly;

/// <summary>
/// Checks a loaded model against the anomaly contract (input <c>features</c> float32 [N, F],
/// output <c>score</c> float32 [N] or [N, 1], schema version in metadata) and reports every
/// problem in one error.
/// </summary>
public static class AnomalyModelContract
{
    /// <summary>What the scorer needs to know about a model that passed the checks.</summary>
    public sealed record Facts(int FeatureCount, IReadOnlyList<string>? FeatureNames, string SchemaVersion, string? Algorithm);

    public static Facts Validate(IOnnxSession session, string modelPath, string? expectedSchemaVersion)
    {
        ArgumentNullException.ThrowIfNull(session);
        var problems = new List<string>();
        var featureCount = CheckInput(session, problems);
        CheckOutput(session, problems);

        var metadata = session.Metadata.Custom;
        metadata.TryGetValue(AnomalyModelMetadata.FeatureNames, out var namesText);
        var names = string.IsNullOrWhiteSpace(namesText) ? null : ParseNames(namesText);
        if (names is not null)
        {
            if (featureCount > 0 && names.Count != featureCount)
            {
                problems.Add(
                    $"metadata {AnomalyModelMetadata.FeatureNames} lists {names.Count} features but input '{AnomalyModelMetadata.InputName}' has {featureCount}");
            }

            featureCount = featureCount > 0 ? featureCount : names.Count;
        }
        else if (featureCount == 0)
        {
            problems.Add(
                $"the feature count is unknown: input '{AnomalyModelMetadata.InputName}' has a symbolic second dimension and there is no {AnomalyModelMetadata.FeatureNames} metadata");
        }

        metadata.TryGetValue(AnomalyModelMetadata.FeatureSchemaVersion, out var schemaVersion);
        if (string.IsNullOrWhiteSpace(schemaVersion))
        {
            problems.Add($"metadata {AnomalyModelMetadata.FeatureSchemaVersion} is missing");
        }
        else if (expectedSchemaVersion is not null && !string.Equals(schemaVersion, expectedSchemaVersion, StringComparison.Ordinal))
        {
            problems.Add(
                $"the model was trained on feature schema version {schemaVersion}, but this gateway computes version {expectedSchemaVersion}; retrain the model on current features");
        }

        if (problems.Count > 0)
        {
            throw new AnomalyModelException(
                $"Anomaly model '{modelPath}' does not meet the model contract: {string.Join("; ", problems)}. See docs/anomaly-model.md.");
        }

        metadata.TryGetValue(AnomalyModelMetadata.Algorithm, out var algorithm);
        return new Facts(featureCount, names, schemaVersion!, algorithm);
    }

    private static int CheckInput(IOnnxSession session, List<string> problems)
    {
        if (session.Inputs.Count != 1 || session.Inputs[0].Name != AnomalyModelMetadata.InputName)
        {
            problems.Add(
                $"it must have exactly one input named '{AnomalyModelMetadata.InputName}', but has {Describe(session.Inputs)}");
            return 0;
        }

        var input = session.Inputs[0];
        if (!input.IsTensor || input.ElementType != TensorElementType.Float || input.Shape.Count != 2)
        {
            problems.Add(
                $"input '{input.Name}' must be a float32 tensor of rank 2 [N, F], but is {input.ElementType} {input.ShapeText}");
            return 0;
        }

        return input.Shape[1] > 0 ? checked((int)input.Shape[1]) : 0;
    }

    private static void CheckOutput(IOnnxSession session, List<string> problems)
    {
        var output = session.Outputs.FirstOrDefault(o => o.Name == AnomalyModelMetadata.OutputName);
        if (output is null)
        {
            problems.Add($"it has no output named '{AnomalyModelMetadata.OutputName}' (outputs: {Describe(session.Outputs)})");
            return;
        }

        var shapeOk = output.Shape.Count == 1 || (output.Shape.Count == 2 && output.Shape[1] == 1);
        if (!output.IsTensor || output.ElementType != TensorElementType.Float || !shapeOk)
        {
            problems.Add(
                $"output '{output.Name}' must be a float32 tensor [N] or [N, 1], but is {output.ElementType} {output.ShapeText}");
        }
    }

    private static string Describe(IReadOnlyList<OnnxNodeInfo> nodes) =>
        nodes.Count == 0
            ? "none"
            : string.Join(", ", nodes.Select(n => string.Create(CultureInfo.InvariantCulture, $"'{n.Name}' {n.ElementType} {n.ShapeText}")));

    /// <summary>Accepts the comma-separated form AiGuard writes and a JSON array of strings.</summary>
    private static List<string> ParseNames(string text)
    {
        var trimmed = text.Trim();
        if (trimmed.StartsWith('['))
        {
            return System.Text.Json.JsonSerializer.Deserialize<List<string>>(trimmed) ?? [];
        }

        return [.. trimmed.Split(',', StringSplitOptions.TrimEntries)];
    }
}
