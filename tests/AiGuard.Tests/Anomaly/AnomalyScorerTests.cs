using AiGuard.Anomaly;
using AiGuard.Anomaly.Training;
using AiGuard.Onnx;
using AiGuard.Tests.Onnx;

namespace AiGuard.Tests.Anomaly;

public sealed class AnomalyScorerTests : IDisposable
{
    private const int Features = 4;
    private readonly ModelFiles _files = new();
    private readonly AnomalyModelTrainer.Result _trained =
        AnomalyModelTrainer.Train(RandomTables.Gaussian(800, Features, seed: 21), new AnomalyTrainingOptions { Seed = 3, Trees = 50 });

    public void Dispose() => _files.Dispose();

    [Fact]
    public void Scorer_scores_a_row_like_the_trainers_reference_evaluation()
    {
        using var scorer = AnomalyScorer.Load(Pinned(_files.Write("m.onnx", _trained.OnnxBytes)));
        float[] row = [0.3f, -1.2f, 2.5f, 0f];

        var score = scorer.Score(row);

        Assert.Equal(_trained.Model.Score(row), score, 1e-5f);
        Assert.Equal(Features, scorer.FeatureCount);
        Assert.Equal(["f0", "f1", "f2", "f3"], scorer.FeatureNames);
        Assert.Equal("1", scorer.FeatureSchemaVersion);
        Assert.Equal(IsolationForestTrainer.AlgorithmName, scorer.Algorithm);
    }

    [Fact]
    public void Batch_scores_equal_single_row_scores()
    {
        using var scorer = AnomalyScorer.Load(Pinned(_files.Write("m.onnx", _trained.OnnxBytes)));
        var rows = RandomTables.Uniform(300, Features, seed: 4);
        var batch = new float[300];

        scorer.Score(rows, batch);

        for (var r = 0; r < 300; r++)
        {
            Assert.Equal(scorer.Score(rows.AsSpan(r * Features, Features)), batch[r]);
        }
    }

    [Fact]
    public void Scorer_refuses_a_model_whose_hash_does_not_match_the_pin()
    {
        var path = _files.Write("m.onnx", _trained.OnnxBytes);
        var tampered = (byte[])_trained.OnnxBytes.Clone();
        tampered[^1] ^= 1;
        var pinned = ModelFileHash.Compute(_trained.OnnxBytes);
        File.WriteAllBytes(path, tampered);

        var error = Assert.Throws<AnomalyModelException>(() => AnomalyScorer.Load(new AnomalyModelOptions { Path = path, Sha256 = pinned }));

        Assert.Contains(pinned, error.Message, StringComparison.Ordinal);
        Assert.Contains(ModelFileHash.Compute(tampered), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Scorer_accepts_a_pin_in_upper_case_or_with_a_sha256_prefix()
    {
        var path = _files.Write("m.onnx", _trained.OnnxBytes);
        var hash = ModelFileHash.Compute(_trained.OnnxBytes);

        using var upper = AnomalyScorer.Load(new AnomalyModelOptions { Path = path, Sha256 = hash.ToUpperInvariant() });
        using var prefixed = AnomalyScorer.Load(new AnomalyModelOptions { Path = path, Sha256 = "sha256:" + hash });

        Assert.Equal(hash, upper.Sha256);
        Assert.Equal(hash, prefixed.Sha256);
    }

    [Fact]
    public void Scorer_refuses_a_model_whose_input_is_named_differently()
    {
        var path = _files.Write("m.onnx", TestModels.ScoreLike(Features, inputName: "input"));

        var error = Assert.Throws<AnomalyModelException>(() => AnomalyScorer.Load(Pinned(path)));

        Assert.Contains("exactly one input named 'features'", error.Message, StringComparison.Ordinal);
        Assert.Contains("'input'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Scorer_refuses_a_model_whose_score_output_is_int64()
    {
        var path = _files.Write("m.onnx", TestModels.ScoreLike(Features, outputType: TensorElementType.Int64));

        var error = Assert.Throws<AnomalyModelException>(() => AnomalyScorer.Load(Pinned(path)));

        Assert.Contains("output 'score' must be a float32 tensor", error.Message, StringComparison.Ordinal);
        Assert.Contains("Int64", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Scorer_refuses_a_model_without_a_score_output()
    {
        var path = _files.Write("m.onnx", TestModels.ScoreLike(Features, outputName: "probability"));

        var error = Assert.Throws<AnomalyModelException>(() => AnomalyScorer.Load(Pinned(path)));

        Assert.Contains("no output named 'score'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Scorer_refuses_a_model_trained_on_another_feature_schema_version()
    {
        var options = Pinned(_files.Write("m.onnx", _trained.OnnxBytes));
        options.ExpectedFeatureSchemaVersion = "2";

        var error = Assert.Throws<AnomalyModelException>(() => AnomalyScorer.Load(options));

        Assert.Contains("feature schema version 1", error.Message, StringComparison.Ordinal);
        Assert.Contains("version 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Scorer_refuses_a_model_without_schema_version_metadata()
    {
        var path = _files.Write("m.onnx", TestModels.ScoreLike(Features, schemaVersion: null));

        var error = Assert.Throws<AnomalyModelException>(() => AnomalyScorer.Load(Pinned(path)));

        Assert.Contains("aiguard.feature_schema_version is missing", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Scorer_accepts_a_foreign_model_that_meets_the_contract()
    {
        using var scorer = AnomalyScorer.Load(Pinned(_files.Write("m.onnx", TestModels.ScoreLike(Features))));

        // sigmoid(mean(0, 0, 0, 0)) = 0.5
        Assert.Equal(0.5f, scorer.Score(new float[Features]), 1e-6f);
        Assert.Null(scorer.FeatureNames);
    }

    [Fact]
    public void Scorer_reports_corrupt_model_bytes_with_ORTs_error()
    {
        var path = _files.Write("m.onnx", _trained.OnnxBytes[..50]);

        var error = Assert.Throws<AnomalyModelException>(() => AnomalyScorer.Load(Pinned(path)));

        Assert.IsType<OnnxRuntimeException>(error.InnerException);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Scorer_reports_a_missing_model_file_by_path()
    {
        var error = Assert.Throws<AnomalyModelException>(() => AnomalyScorer.Load(new AnomalyModelOptions { Path = "/nowhere/model.onnx" }));

        Assert.Contains("/nowhere/model.onnx", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Scorer_refuses_a_row_with_the_wrong_number_of_features()
    {
        using var scorer = AnomalyScorer.Load(Pinned(_files.Write("m.onnx", _trained.OnnxBytes)));

        var error = Assert.Throws<ArgumentException>(() => scorer.Score(new float[Features + 1]));

        Assert.Contains($"expects {Features} features, got {Features + 1}", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Scorer_gives_the_same_scores_from_several_threads_as_from_one()
    {
        using var scorer = AnomalyScorer.Load(Pinned(_files.Write("m.onnx", _trained.OnnxBytes)));
        var rows = RandomTables.Uniform(2000, Features, seed: 9);
        var expected = new float[2000];
        for (var r = 0; r < 2000; r++)
        {
            expected[r] = scorer.Score(rows.AsSpan(r * Features, Features));
        }

        var actual = new float[2000];
        Parallel.For(0, 2000, new ParallelOptions { MaxDegreeOfParallelism = 8 }, r => actual[r] = scorer.Score(rows.AsSpan(r * Features, Features)));

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Scorer_used_after_dispose_throws_ObjectDisposedException()
    {
        var scorer = AnomalyScorer.Load(Pinned(_files.Write("m.onnx", _trained.OnnxBytes)));
        scorer.Dispose();
        scorer.Dispose();

        Assert.Throws<ObjectDisposedException>(() => scorer.Score(new float[Features]));
    }

    private static AnomalyModelOptions Pinned(string path) =>
        new() { Path = path, Sha256 = ModelFileHash.Compute(File.ReadAllBytes(path)) };
}
