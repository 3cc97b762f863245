using System.Text.Json;
using AiGuard.Anomaly;
using AiGuard.Tests.Anomaly;
using AiGuard.Training;
using AiGuard.Training.Features;
using Microsoft.ML.OnnxRuntime;

namespace AiGuard.Tests.Training;

/// <summary>The ML.NET trainer, its ONNX export run by the gateway's own scorer (real ONNX Runtime), and its manifest.</summary>
public sealed class AnomalyTrainerTests : IDisposable
{
    private const int Width = AnomalyFeatures.Count;
    private static readonly AnomalyTreeSettings Settings = new() { Trees = 60, Leaves = 16 };
    private static readonly Lazy<(AnomalyTrainingResult Result, IReadOnlyList<LabelledRow> Holdout)> Trained = new(() =>
    {
        var training = TrainingData.FromTable(SyntheticFeatureTable.Generate(3000, seed: 1));
        var holdout = TrainingData.FromTable(SyntheticFeatureTable.Generate(1000, seed: 2));
        return (AnomalyTrainer.Train(training, seed: 7, Settings, holdout), holdout);
    });

    private readonly ModelFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void ONNX_Runtime_through_the_scorer_gives_MLNETs_own_probabilities_within_1e_5()
    {
        var (trained, holdout) = Trained.Value;
        using var scorer = AnomalyScorer.Load(ModelFiles.Pinned(_files.WriteModel("m.onnx", trained)));
        // Held-out clients, and random rows far outside the training data.
        var rows = holdout.SelectMany(r => r.Features).Concat(RandomTables.Uniform(500, Width, seed: 3)).ToArray();
        var n = rows.Length / Width;
        var ort = new float[n];

        scorer.Score(rows, ort);
        var mlnet = trained.Predict(rows);

        Assert.Equal(n, mlnet.Length);
        var worst = 0f;
        var floored = 0;
        for (var r = 0; r < n; r++)
        {
            // The scorer's score is the model's, raised to the rule floor where the rule holds.
            var floor = AnomalyRules.Floor(rows.AsSpan(r * Width, Width));
            floored += floor > 0 ? 1 : 0;
            worst = Math.Max(worst, Math.Abs(Math.Max(mlnet[r], floor) - ort[r]));
        }

        Assert.True(worst <= 1e-5f, $"largest difference {worst}");
        Assert.True(floored < n / 2, $"{floored} of {n} rows under the rule floor: the comparison must mostly compare the models");
        // The single-row path (an IoBinding) reads the same output.
        for (var r = 0; r < n; r += 97)
        {
            Assert.Equal(ort[r], scorer.Score(rows.AsSpan(r * Width, Width)));
        }
    }

    [Fact]
    public void Scores_from_ONNX_Runtime_separate_held_out_attacks_from_benign_clients()
    {
        var (trained, holdout) = Trained.Value;
        using var scorer = AnomalyScorer.Load(ModelFiles.Pinned(_files.WriteModel("m.onnx", trained)));
        var scores = new float[holdout.Count];

        scorer.Score(holdout.SelectMany(r => r.Features).ToArray(), scores);

        var auc = Auc(scores, holdout.Select(r => r.Attack).ToArray());
        Assert.True(auc > 0.97, $"AUC {auc}");
        Assert.Equal(auc, trained.Metrics.HoldoutAuc!.Value, 3);
    }

    [Fact]
    public void The_export_has_one_input_features_N_by_34_and_one_output_Probability_output_N_by_1_and_no_metadata()
    {
        using var session = new InferenceSession(TrainedModels.Small.OnnxBytes.ToArray());

        Assert.Equal([AnomalyModelMetadata.InputName], session.InputNames);
        Assert.Equal([-1, Width], session.InputMetadata[AnomalyModelMetadata.InputName].Dimensions);
        Assert.Equal([AnomalyModelMetadata.ProbabilityOutputName], session.OutputNames);
        Assert.Equal([-1, 1], session.OutputMetadata[AnomalyModelMetadata.ProbabilityOutputName].Dimensions);
        Assert.Empty(session.ModelMetadata.CustomMetadataMap);
        Assert.Equal("ML.NET", session.ModelMetadata.ProducerName);
    }

    [Fact]
    public void Metrics_count_rows_attacks_and_the_held_out_part()
    {
        var (trained, holdout) = Trained.Value;
        var table = SyntheticFeatureTable.Generate(3000, seed: 1);

        Assert.Equal(3000, trained.Metrics.Rows);
        Assert.Equal((int)table.Labels.ToArray().Sum(), trained.Metrics.Positives);
        Assert.Equal(1000, trained.Metrics.HoldoutRows);
        Assert.Equal(holdout.Count(r => r.Attack), trained.Metrics.HoldoutPositives);
        Assert.Null(TrainedModels.Small.Metrics.HoldoutAuc);
        Assert.Equal(0, TrainedModels.Small.Metrics.HoldoutRows);
    }

    [Fact]
    public void Benign_medians_are_per_feature_medians_over_the_benign_rows_only()
    {
        var rows = new List<LabelledRow>();
        float[] benignFirst = [1, 3, 2, 10, 7, 4];
        for (var r = 0; r < benignFirst.Length; r++)
        {
            var features = new float[Width];
            features[0] = benignFirst[r];
            features[1] = r % 2; // three 0s and three 1s: the median is 0.5
            features[2] = 5;
            rows.Add(new LabelledRow(features, Attack: false));
            rows.Add(new LabelledRow(Enumerable.Repeat(1000f, Width).ToArray(), Attack: true));
        }

        rows.Add(new LabelledRow(Row(f => f == 0 ? 6 : 0), Attack: false));

        var trained = AnomalyTrainer.Train(rows, seed: 1, new AnomalyTreeSettings { Trees = 2, Leaves = 2, MinRowsPerLeaf = 1 });

        // Benign column 0 is 1, 2, 3, 4, 6, 7, 10: the median is 4; attacks (1000) do not count.
        Assert.Equal(4f, trained.BenignMedians[0]);
        Assert.Equal(0f, trained.BenignMedians[1]); // 0, 0, 0, 0, 1, 1, 1
        Assert.Equal(5f, trained.BenignMedians[2]); // six 5s and one 0
        Assert.Equal(0f, trained.BenignMedians[Width - 1]);
        Assert.Equal(trained.BenignMedians, trained.Manifest.BenignMedians);
    }

    [Fact]
    public void An_even_number_of_benign_rows_takes_the_mean_of_the_two_middle_values()
    {
        LabelledRow[] rows =
        [
            new(Row(_ => 1), false), new(Row(_ => 2), false), new(Row(_ => 4), false), new(Row(_ => 9), false),
            new(Row(_ => 50), true), new(Row(_ => 60), true),
        ];

        var trained = AnomalyTrainer.Train(rows, seed: 1, new AnomalyTreeSettings { Trees = 2, Leaves = 2, MinRowsPerLeaf = 1 });

        Assert.All(trained.BenignMedians, m => Assert.Equal(3f, m));
    }

    [Fact]
    public void The_same_rows_seed_and_settings_give_a_byte_identical_model_and_manifest()
    {
        var rows = TrainingData.FromTable(SyntheticFeatureTable.Generate(600, seed: 4));
        var clock = new FixedClock(new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero));
        var settings = new AnomalyTreeSettings { Trees = 20, Leaves = 8 };

        var a = AnomalyTrainer.Train(rows, seed: 5, settings, clock: clock);
        var b = AnomalyTrainer.Train(rows, seed: 5, settings, clock: clock);

        Assert.True(a.OnnxBytes.SequenceEqual(b.OnnxBytes));
        Assert.Equal(a.Manifest.ToJsonBytes(), b.Manifest.ToJsonBytes());
    }

    [Fact]
    public void Row_weights_reach_the_trainer()
    {
        var rows = TrainingData.FromTable(SyntheticFeatureTable.Generate(600, seed: 4));
        var weighted = rows.Select(r => r with { Weight = r.Attack ? 5f : 1f }).ToList();
        var settings = new AnomalyTreeSettings { Trees = 20, Leaves = 8 };

        var plain = AnomalyTrainer.Train(rows, seed: 5, settings);
        var heavier = AnomalyTrainer.Train(weighted, seed: 5, settings);

        Assert.False(plain.OnnxBytes.SequenceEqual(heavier.OnnxBytes));
    }

    [Fact]
    public void The_manifest_records_the_schema_the_names_the_files_SHA_256_and_how_the_model_was_trained()
    {
        var (trained, _) = Trained.Value;
        var m = trained.Manifest;

        Assert.Equal(AnomalyFeatures.SchemaVersion, m.FeatureSchemaVersion);
        Assert.Equal(AnomalyFeatures.Names, m.FeatureNames);
        Assert.Equal(ModelFileHash.Compute(trained.OnnxBytes), m.ModelSha256);
        Assert.Equal(AnomalyTrainer.AlgorithmName, m.Algorithm);
        var t = m.Training!;
        Assert.Equal((7, 60, 16, 50, 0.1), (t.Seed, t.Trees, t.Leaves, t.MinRowsPerLeaf, t.LearningRate));
        Assert.Equal((3000, trained.Metrics.Positives, 1000, trained.Metrics.HoldoutPositives), (t.Rows, t.Positives, t.HoldoutRows, t.HoldoutPositives));
        Assert.Equal(trained.Metrics.HoldoutAuc, t.HoldoutAuc);
        Assert.StartsWith("ML.NET 5.0.1 FastTreeBinaryTrainer", t.Trainer, StringComparison.Ordinal);
        Assert.InRange(t.CreatedAt, DateTimeOffset.UtcNow.AddHours(-1), DateTimeOffset.UtcNow);
    }

    [Fact]
    public void Written_files_are_the_model_and_a_snake_case_manifest_beside_it_that_reads_back()
    {
        var trained = TrainedModels.Small;
        var path = _files.WriteModel("anomaly.onnx", trained);
        var manifestPath = Path.ChangeExtension(path, ".manifest.json");

        Assert.Equal(trained.OnnxBytes.ToArray(), File.ReadAllBytes(path));
        Assert.Equal([manifestPath, path], Directory.GetFiles(Path.GetDirectoryName(path)!).Order(StringComparer.Ordinal));
        using var json = JsonDocument.Parse(File.ReadAllBytes(manifestPath));
        var root = json.RootElement;
        Assert.Equal(AnomalyFeatures.SchemaVersion, root.GetProperty("feature_schema_version").GetString());
        Assert.Equal(trained.Sha256, root.GetProperty("model_sha256").GetString());
        Assert.Equal(Width, root.GetProperty("benign_medians").GetArrayLength());
        Assert.Equal(30, root.GetProperty("training").GetProperty("trees").GetInt32());
        var read = AnomalyModelManifest.Read(manifestPath);
        Assert.Equal(trained.BenignMedians, read.BenignMedians);
        Assert.Equal(trained.Manifest.Training, read.Training);
    }

    [Fact]
    public void Rows_of_another_width_non_finite_values_and_non_positive_weights_are_refused_naming_the_row()
    {
        var good = TrainingData.FromTable(SyntheticFeatureTable.Generate(50, seed: 6, attackFraction: 0.5)).ToList();
        var settings = new AnomalyTreeSettings();

        var narrow = Assert.Throws<ArgumentException>(() => AnomalyTrainer.Train([.. good, new LabelledRow(new float[Width - 1], false)], 1, settings));
        var nan = Assert.Throws<ArgumentException>(() => AnomalyTrainer.Train([.. good, new LabelledRow(Row(f => f == 5 ? float.NaN : 0), true)], 1, settings));
        var weight = Assert.Throws<ArgumentException>(() => AnomalyTrainer.Train([.. good, new LabelledRow(Row(_ => 0), true, Weight: 0)], 1, settings));

        Assert.StartsWith($"Row 50 has 33 features; schema version {AnomalyFeatures.SchemaVersion} has 34.", narrow.Message, StringComparison.Ordinal);
        Assert.StartsWith("Row 50, feature 'near_duplicate': NaN is not a finite number.", nan.Message, StringComparison.Ordinal);
        Assert.StartsWith("Row 50: weight 0 is not a positive finite number.", weight.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Training_needs_both_classes_and_valid_settings()
    {
        var benign = Enumerable.Range(0, 20).Select(i => new LabelledRow(Row(_ => i), false)).ToList();
        var rows = TrainingData.FromTable(SyntheticFeatureTable.Generate(50, seed: 6, attackFraction: 0.5));

        var oneClass = Assert.Throws<ArgumentException>(() => AnomalyTrainer.Train(benign, 1, new AnomalyTreeSettings()));
        Assert.StartsWith("Training needs both attack and benign rows, but all 20 are benign.", oneClass.Message, StringComparison.Ordinal);
        Assert.Throws<ArgumentOutOfRangeException>(() => AnomalyTrainer.Train(rows, 1, new AnomalyTreeSettings { Trees = 0 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => AnomalyTrainer.Train(rows, 1, new AnomalyTreeSettings { Leaves = 1 }));
        Assert.Throws<ArgumentOutOfRangeException>(() => AnomalyTrainer.Train(rows, 1, new AnomalyTreeSettings { LearningRate = 0 }));
    }

    [Fact]
    public void A_held_out_part_with_one_class_trains_but_gives_no_AUC()
    {
        var rows = TrainingData.FromTable(SyntheticFeatureTable.Generate(300, seed: 8));
        var benignOnly = rows.Where(r => !r.Attack).Take(40).ToList();

        var trained = AnomalyTrainer.Train(rows, 1, new AnomalyTreeSettings { Trees = 5, Leaves = 4 }, benignOnly);

        Assert.Equal(40, trained.Metrics.HoldoutRows);
        Assert.Equal(0, trained.Metrics.HoldoutPositives);
        Assert.Null(trained.Metrics.HoldoutAuc);
    }

    private static float[] Row(Func<int, float> value) => Enumerable.Range(0, Width).Select(value).ToArray();

    /// <summary>Probability that a random attack scores above a random benign row (ties count half).</summary>
    private static double Auc(float[] scores, bool[] attack)
    {
        double wins = 0;
        long pairs = 0;
        for (var i = 0; i < scores.Length; i++)
        {
            if (!attack[i])
            {
                continue;
            }

            for (var j = 0; j < scores.Length; j++)
            {
                if (!attack[j])
                {
                    wins += scores[i] > scores[j] ? 1 : scores[i] == scores[j] ? 0.5 : 0;
                    pairs++;
                }
            }
        }

        return wins / pairs;
    }

    private sealed class FixedClock(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
