using AiGuard.Anomaly;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AiGuard.Tests.Anomaly;

/// <summary>What <see cref="AnomalyScorer.Load"/> refuses, and what its error tells the operator.</summary>
public sealed class AnomalyModelContractTests : IDisposable
{
    private const int Features = 4;
    private readonly ModelFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void A_model_whose_hash_does_not_match_the_pin_is_refused_naming_both_hashes()
    {
        var original = TestModels.ScoreLike(Features);
        var tampered = (byte[])original.Clone();
        tampered[^1] ^= 1;
        var path = _files.Write("m.onnx", tampered);
        var pinned = ModelFileHash.Compute(original);

        var error = Assert.Throws<AnomalyModelException>(() => AnomalyScorer.Load(new AnomalyModelOptions { Path = path, Sha256 = pinned }));

        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        Assert.Contains(pinned, error.Message, StringComparison.Ordinal);
        Assert.Contains(ModelFileHash.Compute(tampered), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pin_in_upper_case_or_with_a_sha256_prefix_is_accepted()
    {
        var bytes = TestModels.ScoreLike(Features);
        var path = _files.Write("m.onnx", bytes);
        var hash = ModelFileHash.Compute(bytes);

        using var upper = AnomalyScorer.Load(new AnomalyModelOptions { Path = path, Sha256 = hash.ToUpperInvariant() });
        using var prefixed = AnomalyScorer.Load(new AnomalyModelOptions { Path = path, Sha256 = "sha256:" + hash });

        Assert.Equal(hash, upper.Sha256);
        Assert.Equal(hash, prefixed.Sha256);
    }

    [Fact]
    public void A_model_whose_input_is_named_differently_is_refused_naming_what_it_has()
    {
        var error = LoadFails(TestModels.ScoreLike(Features, inputName: "input"));

        Assert.Contains("it must have exactly one input named 'features', but has 'input' Float [N, 4]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_whose_score_output_is_int64_is_refused_naming_its_type_and_shape()
    {
        var error = LoadFails(TestModels.ScoreLike(Features, outputType: TensorElementType.Int64));

        Assert.Contains("output 'score' must be a float32 tensor [N] or [N, 1], but is Int64 [N]", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_without_a_score_output_is_refused_naming_its_outputs()
    {
        var error = LoadFails(TestModels.ScoreLike(Features, outputName: "probability"));

        Assert.Contains(
            "it has no output named 'score' or 'Probability.output' (outputs: 'probability' Float [N])", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_MLNET_probability_output_of_shape_N_by_1_is_accepted_as_the_score()
    {
        using var scorer = AnomalyScorer.Load(ModelFiles.Pinned(_files.Write(
            "m.onnx", TestModels.ScoreLike(Features, outputName: AnomalyModelMetadata.ProbabilityOutputName, scoreColumn: true))));

        Assert.Equal(AnomalyModelMetadata.ProbabilityOutputName, scorer.OutputName);
        Assert.Equal(0.5f, scorer.Score(new float[Features]), 1e-6f);
    }

    [Fact]
    public void A_second_input_is_refused_with_the_MLNET_hint()
    {
        var error = LoadFails(TestModels.ScoreLike(Features, extraInput: "label"));

        Assert.Contains(
            "it must have exactly one input named 'features', but has 'features' Float [N, 4], 'label' Float [N, 1] " +
            "(an ML.NET model converted with its training data also asks for the label: convert it with a data view of the features only)",
            error.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_without_metadata_takes_schema_version_names_and_medians_from_its_manifest()
    {
        var path = _files.Write("m.onnx", TestModels.ScoreLike(Features, schemaVersion: null));
        WriteManifest(path, Manifest(path) with { BenignMedians = [0.5f, 1f, 1.5f, 2f] });
        var options = ModelFiles.Pinned(path);
        options.ExpectedFeatureSchemaVersion = "2";

        using var scorer = AnomalyScorer.Load(options);

        Assert.Equal("2", scorer.FeatureSchemaVersion);
        Assert.Equal(["a", "b", "c", "d"], scorer.FeatureNames);
        Assert.Equal([0.5f, 1f, 1.5f, 2f], scorer.BenignMedians);
        Assert.Equal("test_algorithm", scorer.Algorithm);
        Assert.NotNull(scorer.Manifest);
    }

    [Fact]
    public void A_manifest_schema_version_other_than_the_expected_one_is_refused()
    {
        var path = _files.Write("m.onnx", TestModels.ScoreLike(Features, schemaVersion: null));
        WriteManifest(path, Manifest(path) with { FeatureSchemaVersion = "1" });
        var options = ModelFiles.Pinned(path);
        options.ExpectedFeatureSchemaVersion = "2";

        var error = Assert.Throws<AnomalyModelException>(() => AnomalyScorer.Load(options));

        Assert.Contains(
            "the model was trained on feature schema version 1, but this gateway computes version 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_manifest_written_for_another_model_file_is_refused_naming_both_hashes()
    {
        var path = _files.Write("m.onnx", TestModels.ScoreLike(Features, schemaVersion: null));
        var other = new string('a', 64);
        WriteManifest(path, Manifest(path) with { ModelSha256 = other });

        var error = LoadFails(path);

        Assert.Contains(
            $"the manifest 'm.manifest.json' describes the model with SHA-256 {other}, not this file ({ModelFileHash.Compute(File.ReadAllBytes(path))})",
            error.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Manifest_feature_names_or_medians_that_disagree_with_the_input_width_are_refused()
    {
        var path = _files.Write("m.onnx", TestModels.ScoreLike(Features, schemaVersion: null));
        WriteManifest(path, Manifest(path) with { FeatureNames = ["a", "b", "c"], BenignMedians = [1f, 2f] });

        var error = LoadFails(path);

        Assert.Contains("the manifest 'm.manifest.json''s feature_names lists 3 features but input 'features' has 4", error.Message, StringComparison.Ordinal);
        Assert.Contains("the manifest 'm.manifest.json''s benign_medians has 2 values but the model has 4 features", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Metadata_and_a_manifest_that_disagree_are_refused()
    {
        var path = _files.Write("m.onnx", TestModels.ScoreLike(Features, schemaVersion: "1", featureNames: "a,b,c,e"));
        WriteManifest(path, Manifest(path));

        var error = LoadFails(path);

        Assert.Contains(
            "metadata aiguard.feature_schema_version (1) and the manifest 'm.manifest.json''s feature_schema_version (2) disagree",
            error.Message,
            StringComparison.Ordinal);
        Assert.Contains("metadata aiguard.feature_names and the manifest 'm.manifest.json''s feature_names disagree", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("{", "is not valid: ")]
    [InlineData("""{"feature_schema_version": "2"}""", "missing required properties")]
    [InlineData("""{"feature_schema_version": "2", "model_sha256": "abc"}""", "model_sha256 must be 64 hex digits, but is 'abc'")]
    [InlineData("""{"feature_schema_version": " ", "model_sha256": "abc"}""", "feature_schema_version is empty; model_sha256 must be 64 hex digits")]
    [InlineData("""{"feature_schema_version": null, "model_sha256": null}""", "feature_schema_version is empty; model_sha256 must be 64 hex digits, but is null")]
    [InlineData("""{"feature_schema_version": "2", "model_sha256": "abc", "feature_names": ["a", null]}""", "feature_names has an empty name")]
    [InlineData("null", "it is JSON null, not an object")]
    public void A_manifest_that_is_not_valid_is_refused_naming_it(string json, string expected)
    {
        var path = _files.Write("m.onnx", TestModels.ScoreLike(Features));
        var manifestPath = _files.Write("m.manifest.json", System.Text.Encoding.UTF8.GetBytes(json));

        var error = Assert.Throws<AnomalyModelException>(() => AnomalyScorer.Load(ModelFiles.Pinned(path)));

        Assert.StartsWith($"Anomaly model manifest '{manifestPath}' is not valid: ", error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_with_a_fixed_batch_size_is_refused()
    {
        var error = LoadFails(TestModels.ScoreLike(Features, batch: 1));

        Assert.Contains(
            "input 'features' must have a symbolic first dimension (the batch size N), but it is fixed at 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_trained_on_another_feature_schema_version_is_refused()
    {
        var options = ModelFiles.Pinned(_files.Write("m.onnx", TestModels.ScoreLike(Features, schemaVersion: "1")));
        options.ExpectedFeatureSchemaVersion = "2";

        var error = Assert.Throws<AnomalyModelException>(() => AnomalyScorer.Load(options));

        Assert.Contains(
            "the model was trained on feature schema version 1, but this gateway computes version 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_model_without_schema_version_metadata_is_refused()
    {
        var error = LoadFails(TestModels.ScoreLike(Features, schemaVersion: null));

        Assert.Contains("aiguard.feature_schema_version is missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Feature_names_that_disagree_with_the_input_width_are_refused()
    {
        var error = LoadFails(TestModels.ScoreLike(Features, featureNames: "a,b,c"));

        Assert.Contains("metadata aiguard.feature_names lists 3 features but input 'features' has 4", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_symbolic_input_width_takes_the_feature_count_from_the_feature_names()
    {
        using var scorer = AnomalyScorer.Load(ModelFiles.Pinned(_files.Write("m.onnx", TestModels.ScoreLike(null, featureNames: """["rate", "burst"]"""))));

        Assert.Equal(2, scorer.FeatureCount);
        Assert.Equal(["rate", "burst"], scorer.FeatureNames);
        Assert.Equal(0.5f, scorer.Score([1f, -1f]), 1e-6f);
    }

    [Fact]
    public void A_symbolic_input_width_without_feature_names_is_refused()
    {
        var error = LoadFails(TestModels.ScoreLike(null));

        Assert.Contains("the feature count is unknown", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Every_problem_is_reported_in_one_error_that_names_the_file()
    {
        var path = _files.Write("several.onnx", TestModels.ScoreLike(Features, inputName: "input", outputName: "probability", schemaVersion: null));

        var error = Assert.Throws<AnomalyModelException>(() => AnomalyScorer.Load(ModelFiles.Pinned(path)));

        Assert.StartsWith($"Anomaly model '{path}' does not meet the model contract: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("exactly one input named 'features'", error.Message, StringComparison.Ordinal);
        Assert.Contains("no output named 'score'", error.Message, StringComparison.Ordinal);
        Assert.Contains("aiguard.feature_schema_version is missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupt_model_bytes_are_refused_with_the_file_and_ORTs_own_error()
    {
        var path = _files.Write("m.onnx", TestModels.ScoreLike(Features)[..40]);

        var error = Assert.Throws<AnomalyModelException>(() => AnomalyScorer.Load(ModelFiles.Pinned(path)));

        var ort = Assert.IsType<OnnxRuntimeException>(error.InnerException);
        Assert.StartsWith($"Cannot load anomaly model '{path}': ", error.Message, StringComparison.Ordinal);
        Assert.Contains(ort.Message, error.Message, StringComparison.Ordinal);
        Assert.Contains("protobuf", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void A_missing_model_file_is_refused_by_path()
    {
        var error = Assert.Throws<AnomalyModelException>(() => AnomalyScorer.Load(new AnomalyModelOptions { Path = "/nowhere/model.onnx" }));

        Assert.Equal("Anomaly model file '/nowhere/model.onnx' does not exist.", error.Message);
    }

    [Fact]
    public void An_unset_model_path_names_the_setting()
    {
        var error = Assert.Throws<AnomalyModelException>(() => AnomalyScorer.Load(new AnomalyModelOptions()));

        Assert.Equal("No anomaly model configured: set AiGuard:Anomaly:Model:Path.", error.Message);
    }

    [Fact]
    public void Intra_op_threads_below_one_are_refused_naming_the_setting()
    {
        var options = ModelFiles.Pinned(_files.Write("m.onnx", TestModels.ScoreLike(Features)));
        options.IntraOpThreads = 0;

        var error = Assert.Throws<AnomalyModelException>(() => AnomalyScorer.Load(options));

        Assert.Equal("AiGuard:Anomaly:Model:IntraOpThreads must be at least 1, but is 0.", error.Message);
    }

    private AnomalyModelException LoadFails(byte[] model) => LoadFails(_files.Write("m.onnx", model));

    private static AnomalyModelException LoadFails(string path)
    {
        var error = Assert.Throws<AnomalyModelException>(() => AnomalyScorer.Load(ModelFiles.Pinned(path)));
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
        return error;
    }

    /// <summary>A valid manifest for the model at <paramref name="modelPath"/>: schema 2, features a-d.</summary>
    private static AnomalyModelManifest Manifest(string modelPath) => new()
    {
        FeatureSchemaVersion = "2",
        FeatureNames = ["a", "b", "c", "d"],
        ModelSha256 = ModelFileHash.Compute(File.ReadAllBytes(modelPath)),
        Algorithm = "test_algorithm",
    };

    private static void WriteManifest(string modelPath, AnomalyModelManifest manifest) =>
        File.WriteAllBytes(AnomalyModelManifest.PathFor(modelPath), manifest.ToJsonBytes());
}
