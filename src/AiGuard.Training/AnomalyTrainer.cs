using System.Reflection;
using AiGuard.Anomaly;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers.FastTree;

namespace AiGuard.Training;

/// <summary>
/// Trains the anomaly model: an ML.NET FastTree binary classifier (boosted trees, logistic loss,
/// calibrated probability) on labelled per-client feature vectors of schema
/// <see cref="AnomalyFeatures.SchemaVersion"/>, exported to ONNX with ML.NET's converter.
/// The export has one input <c>features</c> float32 [N, F] and one output
/// <c>Probability.output</c> float32 [N, 1]; what it cannot carry (schema version, feature
/// names, benign medians, the file's SHA-256, how it was trained) goes into the manifest.
/// </summary>
public static class AnomalyTrainer
{
    public const string AlgorithmName = "mlnet_fasttree_binary";

    private const string FeaturesColumn = AnomalyModelMetadata.InputName;
    private const string LabelColumn = "label";
    private const string WeightColumn = "weight";
    private const string ProbabilityColumn = "Probability";

    /// <summary>
    /// Trains on <paramref name="rows"/> and, when <paramref name="holdout"/> has both classes,
    /// measures the AUC on it. Training is deterministic: the same rows, seed and settings give a
    /// byte-identical ONNX file (one training thread; FastTree's parallel histograms would not be).
    /// </summary>
    public static AnomalyTrainingResult Train(
        IReadOnlyList<LabelledRow> rows,
        int seed,
        AnomalyTreeSettings settings,
        IReadOnlyList<LabelledRow>? holdout = null,
        TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentNullException.ThrowIfNull(settings);
        settings.Validate();
        var positives = CheckRows(rows, nameof(rows));
        if (positives == 0 || positives == rows.Count)
        {
            throw new ArgumentException(
                $"Training needs both attack and benign rows, but all {rows.Count} are {(positives == 0 ? "benign" : "attacks")}.", nameof(rows));
        }

        var holdoutPositives = holdout is null ? 0 : CheckRows(holdout, nameof(holdout));
        var createdAt = (clock ?? TimeProvider.System).GetUtcNow();

        var ml = new MLContext(seed);
        var model = ml.BinaryClassification.Trainers.FastTree(new FastTreeBinaryTrainer.Options
        {
            FeatureColumnName = FeaturesColumn,
            LabelColumnName = LabelColumn,
            ExampleWeightColumnName = WeightColumn,
            NumberOfTrees = settings.Trees,
            NumberOfLeaves = settings.Leaves,
            MinimumExampleCountPerLeaf = settings.MinRowsPerLeaf,
            LearningRate = settings.LearningRate,
            FeatureFraction = settings.FeatureFraction,
            NumberOfThreads = 1,
            Seed = seed,
        }).Fit(ml.Data.LoadFromEnumerable(rows.Select(TrainingRow.From)));

        double? auc = null;
        if (holdout is not null && holdoutPositives > 0 && holdoutPositives < holdout.Count)
        {
            var scored = model.Transform(ml.Data.LoadFromEnumerable(holdout.Select(TrainingRow.From)));
            auc = ml.BinaryClassification.Evaluate(scored, LabelColumn).AreaUnderRocCurve;
        }

        // Converted with a view of the features alone: with the training view the graph would
        // also ask for the label and the weight as inputs.
        var featuresOnly = ml.Data.LoadFromEnumerable([new FeatureRow { Features = rows[0].Features }]);
        byte[] onnx;
        using (var stream = new MemoryStream())
        {
            ml.Model.ConvertToOnnx(model, featuresOnly, stream, ProbabilityColumn);
            onnx = stream.ToArray();
        }

        var metrics = new AnomalyTrainingMetrics(rows.Count, positives, holdout?.Count ?? 0, holdoutPositives, auc);
        var medians = BenignMedians(rows);
        var sha256 = ModelFileHash.Compute(onnx);
        var manifest = new AnomalyModelManifest
        {
            FeatureSchemaVersion = AnomalyFeatures.SchemaVersion,
            FeatureNames = AnomalyFeatures.Names,
            BenignMedians = medians,
            ModelSha256 = sha256,
            Algorithm = AlgorithmName,
            Training = new AnomalyTrainingRecord
            {
                CreatedAt = createdAt,
                Trainer = $"ML.NET {Version(typeof(FastTreeBinaryTrainer).Assembly)} FastTreeBinaryTrainer",
                Seed = seed,
                Trees = settings.Trees,
                Leaves = settings.Leaves,
                MinRowsPerLeaf = settings.MinRowsPerLeaf,
                LearningRate = settings.LearningRate,
                FeatureFraction = settings.FeatureFraction,
                Rows = metrics.Rows,
                Positives = metrics.Positives,
                HoldoutRows = metrics.HoldoutRows,
                HoldoutPositives = metrics.HoldoutPositives,
                HoldoutAuc = metrics.HoldoutAuc,
            },
        };
        return new AnomalyTrainingResult(onnx, medians, metrics, manifest, ml, model);
    }

    /// <summary>ML.NET's own probability for each row (rows laid out one after another), for checking the export.</summary>
    internal static float[] Predict(MLContext ml, ITransformer model, ReadOnlySpan<float> rows)
    {
        if (rows.Length == 0 || rows.Length % AnomalyFeatures.Count != 0)
        {
            throw new ArgumentException($"Expected a non-empty multiple of {AnomalyFeatures.Count} values, got {rows.Length}.", nameof(rows));
        }

        var features = new List<FeatureRow>(rows.Length / AnomalyFeatures.Count);
        for (var start = 0; start < rows.Length; start += AnomalyFeatures.Count)
        {
            features.Add(new FeatureRow { Features = rows.Slice(start, AnomalyFeatures.Count).ToArray() });
        }

        return [.. model.Transform(ml.Data.LoadFromEnumerable(features)).GetColumn<float>(ProbabilityColumn)];
    }

    /// <summary>Checks widths, values and weights; returns the number of attack rows.</summary>
    private static int CheckRows(IReadOnlyList<LabelledRow> rows, string name)
    {
        if (rows.Count == 0)
        {
            throw new ArgumentException("There are no rows.", name);
        }

        var positives = 0;
        for (var r = 0; r < rows.Count; r++)
        {
            var row = rows[r] ?? throw new ArgumentException($"Row {r} is null.", name);
            if (row.Features is null || row.Features.Length != AnomalyFeatures.Count)
            {
                throw new ArgumentException(
                    $"Row {r} has {row.Features?.Length ?? 0} features; schema version {AnomalyFeatures.SchemaVersion} has {AnomalyFeatures.Count}.", name);
            }

            var bad = Array.FindIndex(row.Features, v => !float.IsFinite(v));
            if (bad >= 0)
            {
                throw new ArgumentException($"Row {r}, feature '{AnomalyFeatures.Names[bad]}': {row.Features[bad]} is not a finite number.", name);
            }

            if (!float.IsFinite(row.Weight) || row.Weight <= 0)
            {
                throw new ArgumentException($"Row {r}: weight {row.Weight} is not a positive finite number.", name);
            }

            positives += row.Attack ? 1 : 0;
        }

        return positives;
    }

    /// <summary>Per feature, the median over the benign rows (the mean of the two middle values for an even count).</summary>
    internal static float[] BenignMedians(IReadOnlyList<LabelledRow> rows)
    {
        var benign = rows.Where(r => !r.Attack).ToArray();
        var medians = new float[AnomalyFeatures.Count];
        var column = new float[benign.Length];
        for (var f = 0; f < medians.Length; f++)
        {
            for (var r = 0; r < benign.Length; r++)
            {
                column[r] = benign[r].Features[f];
            }

            Array.Sort(column);
            var mid = column.Length / 2;
            medians[f] = column.Length % 2 == 1 ? column[mid] : (float)(((double)column[mid - 1] + column[mid]) / 2);
        }

        return medians;
    }

    private static string Version(Assembly assembly)
    {
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion
            ?? assembly.GetName().Version?.ToString() ?? "?";
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus >= 0 ? version[..plus] : version;
    }

    /// <summary>The training view's row: features, label and weight under the columns the trainer names.</summary>
    private sealed class TrainingRow
    {
        [ColumnName(FeaturesColumn)]
        [VectorType(AnomalyFeatures.Count)]
        public float[] Features { get; set; } = [];

        [ColumnName(LabelColumn)]
        public bool Label { get; set; }

        [ColumnName(WeightColumn)]
        public float Weight { get; set; }

        public static TrainingRow From(LabelledRow row) => new() { Features = row.Features, Label = row.Attack, Weight = row.Weight };
    }

    /// <summary>The scoring view's row: the features alone, as the gateway sends them.</summary>
    internal sealed class FeatureRow
    {
        [ColumnName(FeaturesColumn)]
        [VectorType(AnomalyFeatures.Count)]
        public float[] Features { get; set; } = [];
    }
}

/// <summary>Training metrics: data sizes and, with a held-out part holding both classes, its AUC.</summary>
public sealed record AnomalyTrainingMetrics(int Rows, int Positives, int HoldoutRows, int HoldoutPositives, double? HoldoutAuc);
