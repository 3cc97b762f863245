using AiGuard.Anomaly;
using AiGuard.Tests.Anomaly;
using AiGuard.Training;
using AiGuard.Training.Trees;
using Microsoft.ML.OnnxRuntime;

namespace AiGuard.Tests.Training;

public sealed class TrainerRoundTripTests : IDisposable
{
    private const int Features = 6;
    private const int Rows = 5000;
    private readonly ModelFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void Isolation_forest_reference_and_onnx_runtime_agree_within_1e_5_on_thousands_of_random_rows()
    {
        var table = RandomTables.Gaussian(2000, Features, seed: 1);
        var trained = AnomalyModelTrainer.Train(table, new AnomalyTrainingOptions { Seed = 7 });

        Assert.Equal(IsolationForestTrainer.AlgorithmName, trained.Model.Algorithm);
        AssertAgreement(trained, RandomTables.Uniform(Rows, Features, seed: 2));
    }

    [Fact]
    public void Gradient_boosting_reference_and_onnx_runtime_agree_within_1e_5_on_thousands_of_random_rows()
    {
        var table = RandomTables.Gaussian(2000, Features, seed: 3, labelled: true);
        var trained = AnomalyModelTrainer.Train(table, new AnomalyTrainingOptions { Seed = 7, Trees = 60 });

        Assert.Equal(GradientBoostingTrainer.AlgorithmName, trained.Model.Algorithm);
        AssertAgreement(trained, RandomTables.Uniform(Rows, Features, seed: 4));
    }

    [Fact]
    public void Training_rows_themselves_score_the_same_in_both_evaluations()
    {
        // Training rows sit exactly on split boundaries' neighbours, where float rounding would show.
        var table = RandomTables.Gaussian(3000, Features, seed: 5, labelled: true);
        var trained = AnomalyModelTrainer.Train(table, new AnomalyTrainingOptions { Seed = 11, Trees = 40 });

        AssertAgreement(trained, table.Values.ToArray());
    }

    [Fact]
    public void Same_seed_gives_the_same_model_and_a_different_seed_a_different_one()
    {
        var table = RandomTables.Gaussian(1000, Features, seed: 6);
        var fixedClock = new FixedClock(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));

        var a = AnomalyModelTrainer.Train(table, new AnomalyTrainingOptions { Seed = 1 }, clock: fixedClock).OnnxBytes;
        var b = AnomalyModelTrainer.Train(table, new AnomalyTrainingOptions { Seed = 1 }, clock: fixedClock).OnnxBytes;
        var c = AnomalyModelTrainer.Train(table, new AnomalyTrainingOptions { Seed = 2 }, clock: fixedClock).OnnxBytes;

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public void Isolation_forest_scores_obvious_outliers_higher_than_typical_rows()
    {
        var table = RandomTables.Gaussian(2000, Features, seed: 8);
        var model = IsolationForestTrainer.Train(table, new AnomalyTrainingOptions { Seed = 3 });

        var typical = model.Score(new float[Features]);
        var outlier = model.Score(Enumerable.Repeat(12f, Features).ToArray());

        Assert.InRange(typical, 0f, 0.5f);
        Assert.InRange(outlier, 0.6f, 1f);
    }

    [Fact]
    public void Written_model_carries_the_contract_metadata()
    {
        var table = RandomTables.Gaussian(500, Features, seed: 9);
        var trained = AnomalyModelTrainer.Train(table, new AnomalyTrainingOptions { SchemaVersion = "7" });

        using var session = new InferenceSession(trained.OnnxBytes);

        var metadata = session.ModelMetadata.CustomMetadataMap;
        Assert.Equal("7", metadata[AnomalyModelMetadata.FeatureSchemaVersion]);
        Assert.Equal("f0,f1,f2,f3,f4,f5", metadata[AnomalyModelMetadata.FeatureNames]);
        Assert.Equal("500", metadata[AnomalyModelMetadata.TrainingRows]);
        Assert.Equal(IsolationForestTrainer.AlgorithmName, metadata[AnomalyModelMetadata.Algorithm]);
        Assert.True(DateTimeOffset.TryParse(metadata[AnomalyModelMetadata.CreatedAt], out _));
        Assert.Equal("aiguard", session.ModelMetadata.ProducerName);
        Assert.Equal([-1, Features], session.InputMetadata[AnomalyModelMetadata.InputName].Dimensions);
        Assert.Equal([-1], session.OutputMetadata[AnomalyModelMetadata.OutputName].Dimensions);
    }

    /// <summary>Scores the rows through the gateway's scorer (batch path) and compares with the C# trees.</summary>
    private void AssertAgreement(AnomalyModelTrainer.Result trained, float[] rows)
    {
        using var scorer = AnomalyScorer.Load(ModelFiles.Pinned(_files.Write("model.onnx", trained.OnnxBytes)));
        var n = rows.Length / Features;
        var scores = new float[n];

        scorer.Score(rows, scores);

        var worst = 0f;
        for (var r = 0; r < n; r++)
        {
            var expected = trained.Model.Score(rows.AsSpan(r * Features, Features));
            Assert.InRange(scores[r], 0f, 1f);
            worst = Math.Max(worst, Math.Abs(expected - scores[r]));
        }

        Assert.True(worst <= 1e-5f, $"largest difference {worst}");
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
