using System.Text.Json;
using Microsoft.ML.OnnxRuntime;

namespace AiGuard.Anomaly;

/// <summary>
/// Checks a loaded model against the anomaly contract (input <c>features</c> float32 [N, F];
/// output <c>score</c> or ML.NET's <c>Probability.output</c>, float32 [N] or [N, 1]; the
/// feature schema version in metadata_props or in the manifest next to the model) and reports
/// every problem in one error.
/// </summary>
internal static class AnomalyModelContract
{
    /// <summary>What the scorer needs to know about a model that passed the checks.</summary>
    public sealed record Facts(
        int FeatureCount,
        IReadOnlyList<string>? FeatureNames,
        string SchemaVersion,
        string? Algorithm,
        string OutputName,
        int ScoreRank,
        IReadOnlyList<float>? BenignMedians);

    /// <param name="manifest">The manifest found next to the model, or null.</param>
    /// <param name="manifestPath">Where the manifest is (or would be), for messages.</param>
    public static Facts Validate(
        InferenceSession session,
        string modelPath,
        string sha256,
        string? expectedSchemaVersion,
        AnomalyModelManifest? manifest,
        string manifestPath)
    {
        ArgumentNullException.ThrowIfNull(session);
        var problems = new List<string>();
        var featureCount = CheckInput(session, problems);
        var (outputName, scoreRank) = CheckOutput(session, problems);
        var manifestName = $"manifest '{Path.GetFileName(manifestPath)}'";

        if (manifest is not null && !string.Equals(manifest.ModelSha256, sha256, StringComparison.OrdinalIgnoreCase))
        {
            problems.Add(
                $"the {manifestName} describes the model with SHA-256 {manifest.ModelSha256.ToLowerInvariant()}, not this file ({sha256}); " +
                "it belongs to another model");
        }

        var metadata = session.ModelMetadata.CustomMetadataMap;
        metadata.TryGetValue(AnomalyModelMetadata.FeatureNames, out var namesText);
        var metadataNames = string.IsNullOrWhiteSpace(namesText) ? null : ParseNames(namesText, problems);
        var names = metadataNames ?? manifest?.FeatureNames;
        if (metadataNames is not null && manifest?.FeatureNames is { } manifestNames && !metadataNames.SequenceEqual(manifestNames))
        {
            problems.Add($"metadata {AnomalyModelMetadata.FeatureNames} and the {manifestName}'s feature_names disagree");
        }

        if (names is not null)
        {
            var source = metadataNames is not null ? $"metadata {AnomalyModelMetadata.FeatureNames}" : $"the {manifestName}'s feature_names";
            if (featureCount > 0 && names.Count != featureCount)
            {
                problems.Add($"{source} lists {names.Count} features but input '{AnomalyModelMetadata.InputName}' has {featureCount}");
            }

            featureCount = featureCount > 0 ? featureCount : names.Count;
        }
        else if (featureCount == 0)
        {
            problems.Add(
                $"the feature count is unknown: input '{AnomalyModelMetadata.InputName}' has no fixed second dimension and there is no {AnomalyModelMetadata.FeatureNames} metadata or manifest");
        }

        var medians = manifest?.BenignMedians;
        if (medians is not null && featureCount > 0 && medians.Count != featureCount)
        {
            problems.Add($"the {manifestName}'s benign_medians has {medians.Count} values but the model has {featureCount} features");
        }

        metadata.TryGetValue(AnomalyModelMetadata.FeatureSchemaVersion, out var metadataVersion);
        var schemaVersion = string.IsNullOrWhiteSpace(metadataVersion) ? manifest?.FeatureSchemaVersion : metadataVersion;
        if (!string.IsNullOrWhiteSpace(metadataVersion) && manifest is not null
            && !string.Equals(metadataVersion, manifest.FeatureSchemaVersion, StringComparison.Ordinal))
        {
            problems.Add(
                $"metadata {AnomalyModelMetadata.FeatureSchemaVersion} ({metadataVersion}) and the {manifestName}'s feature_schema_version ({manifest.FeatureSchemaVersion}) disagree");
        }

        if (string.IsNullOrWhiteSpace(schemaVersion))
        {
            problems.Add($"metadata {AnomalyModelMetadata.FeatureSchemaVersion} is missing and there is no {manifestName} to give it");
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
        return new Facts(featureCount, names, schemaVersion!, algorithm ?? manifest?.Algorithm, outputName!, scoreRank, medians);
    }

    /// <summary>Returns the fixed feature count, or 0 when the input is unusable or its second dimension is symbolic.</summary>
    private static int CheckInput(InferenceSession session, List<string> problems)
    {
        if (session.InputNames.Count != 1 || session.InputNames[0] != AnomalyModelMetadata.InputName)
        {
            // ML.NET's export asks for every column of the data view it was converted with.
            var hint = session.InputNames.Count > 1 && session.InputNames.Contains(AnomalyModelMetadata.InputName)
                ? " (an ML.NET model converted with its training data also asks for the label: convert it with a data view of the features only)"
                : string.Empty;
            problems.Add(
                $"it must have exactly one input named '{AnomalyModelMetadata.InputName}', but has {Describe(session.InputNames, session.InputMetadata)}{hint}");
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

    /// <summary>Returns the first accepted output the model has and its rank (1 or 2), or rank 0 when it is unusable.</summary>
    private static (string? Name, int Rank) CheckOutput(InferenceSession session, List<string> problems)
    {
        var name = AnomalyModelMetadata.AcceptedOutputNames.FirstOrDefault(session.OutputMetadata.ContainsKey);
        if (name is null)
        {
            var accepted = string.Join(" or ", AnomalyModelMetadata.AcceptedOutputNames.Select(n => $"'{n}'"));
            problems.Add($"it has no output named {accepted} (outputs: {Describe(session.OutputNames, session.OutputMetadata)})");
            return (null, 0);
        }

        var output = session.OutputMetadata[name];
        var rank = IsFloatTensor(output) ? output.Dimensions.Length : 0;
        if (rank == 1 || (rank == 2 && output.Dimensions[1] == 1))
        {
            return (name, rank);
        }

        problems.Add($"output '{name}' must be a float32 tensor [N] or [N, 1], but is {Describe(output)}");
        return (name, 0);
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
