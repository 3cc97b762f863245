using System.Text.Json;
using Microsoft.ML.OnnxRuntime;

namespace AiGuard.Anomaly;

/// <summary>
/// Checks a loaded model against the anomaly contract (input <c>features</c> float32 [N, F],
/// output <c>score</c> float32 [N] or [N, 1], schema version in metadata) and reports every
/// problem in one error.
/// </summary>
internal static class AnomalyModelContract
{
    /// <summary>What the scorer needs to know about a model that passed the checks.</summary>
    public sealed record Facts(int FeatureCount, IReadOnlyList<string>? FeatureNames, string SchemaVersion, string? Algorithm, int ScoreRank);

    public static Facts Validate(InferenceSession session, string modelPath, string? expectedSchemaVersion)
    {
        ArgumentNullException.ThrowIfNull(session);
        var problems = new List<string>();
        var featureCount = CheckInput(session, problems);
        var scoreRank = CheckOutput(session, problems);

        var metadata = session.ModelMetadata.CustomMetadataMap;
        metadata.TryGetValue(AnomalyModelMetadata.FeatureNames, out var namesText);
        var names = string.IsNullOrWhiteSpace(namesText) ? null : ParseNames(namesText, problems);
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
                $"the feature count is unknown: input '{AnomalyModelMetadata.InputName}' has no fixed second dimension and there is no {AnomalyModelMetadata.FeatureNames} metadata");
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
        return new Facts(featureCount, names, schemaVersion!, algorithm, scoreRank);
    }

    /// <summary>Returns the fixed feature count, or 0 when the input is unusable or its second dimension is symbolic.</summary>
    private static int CheckInput(InferenceSession session, List<string> problems)
    {
        if (session.InputNames.Count != 1 || session.InputNames[0] != AnomalyModelMetadata.InputName)
        {
            problems.Add(
                $"it must have exactly one input named '{AnomalyModelMetadata.InputName}', but has {Describe(session.InputNames, session.InputMetadata)}");
            return 0;
        }

        var input = session.InputMetadata[AnomalyModelMetadata.InputName];
        if (!IsFloatTensor(input) || input.Dimensions.Length != 2)
        {
            problems.Add(
                $"input '{AnomalyModelMetadata.InputName}' must be a float32 tensor of rank 2 [N, F], but is {Describe(input)}");
            return 0;
        }

        // A fixed batch size would make every other batch size fail at scoring time.
        if (input.Dimensions[0] > 0)
        {
            problems.Add(
                $"input '{AnomalyModelMetadata.InputName}' must have a symbolic first dimension (the batch size N), but it is fixed at {input.Dimensions[0]}");
        }

        return Math.Max(input.Dimensions[1], 0);
    }

    /// <summary>Returns the rank of the score output (1 or 2), or 0 when it is unusable.</summary>
    private static int CheckOutput(InferenceSession session, List<string> problems)
    {
        if (!session.OutputMetadata.TryGetValue(AnomalyModelMetadata.OutputName, out var output))
        {
            problems.Add(
                $"it has no output named '{AnomalyModelMetadata.OutputName}' (outputs: {Describe(session.OutputNames, session.OutputMetadata)})");
            return 0;
        }

        var rank = IsFloatTensor(output) ? output.Dimensions.Length : 0;
        if (rank == 1 || (rank == 2 && output.Dimensions[1] == 1))
        {
            return rank;
        }

        problems.Add(
            $"output '{AnomalyModelMetadata.OutputName}' must be a float32 tensor [N] or [N, 1], but is {Describe(output)}");
        return 0;
    }

    private static bool IsFloatTensor(NodeMetadata node) =>
        node.OnnxValueType == OnnxValueType.ONNX_TYPE_TENSOR && node.ElementDataType == Microsoft.ML.OnnxRuntime.Tensors.TensorElementType.Float;

    private static string Describe(IReadOnlyList<string> names, IReadOnlyDictionary<string, NodeMetadata> metadata) =>
        names.Count == 0 ? "none" : string.Join(", ", names.Select(name => $"'{name}' {Describe(metadata[name])}"));

    /// <summary>E.g. <c>Float [N, 4]</c>: element type and shape, symbolic dimensions by name.</summary>
    private static string Describe(NodeMetadata node)
    {
        if (node.OnnxValueType != OnnxValueType.ONNX_TYPE_TENSOR)
        {
            return $"a {node.OnnxValueType.ToString().Replace("ONNX_TYPE_", string.Empty, StringComparison.Ordinal).ToLowerInvariant()}, not a tensor";
        }

        var dims = node.Dimensions.Select((dim, i) =>
            dim > 0 ? dim.ToString(System.Globalization.CultureInfo.InvariantCulture)
            : i < node.SymbolicDimensions.Length && node.SymbolicDimensions[i].Length > 0 ? node.SymbolicDimensions[i]
            : "?");
        return $"{node.ElementDataType} [{string.Join(", ", dims)}]";
    }

    /// <summary>Accepts the comma-separated form AiGuard writes and a JSON array of strings.</summary>
    private static List<string>? ParseNames(string text, List<string> problems)
    {
        var trimmed = text.Trim();
        if (!trimmed.StartsWith('['))
        {
            return [.. trimmed.Split(',', StringSplitOptions.TrimEntries)];
        }

        try
        {
            return JsonSerializer.Deserialize<List<string>>(trimmed) ?? [];
        }
        catch (JsonException e)
        {
            problems.Add($"metadata {AnomalyModelMetadata.FeatureNames} starts like a JSON array but is not one of strings ({e.Message})");
            return null;
        }
    }
}
