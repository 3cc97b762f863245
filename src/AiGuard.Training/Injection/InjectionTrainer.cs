using System.Reflection;
using AiGuard.Anomaly;
using AiGuard.Inspection.Injection;
using AiGuard.Inspection.Text;
using Microsoft.ML;
using Microsoft.ML.Data;
using Microsoft.ML.Trainers;

namespace AiGuard.Training.Injection;

/// <summary>Settings of one training run.</summary>
/// <param name="Seed">Seeds ML.NET; training is deterministic for the same rows and settings.</param>
/// <param name="L2">L2 regularization of the logistic regression.</param>
/// <param name="TargetFalsePositiveRate">The threshold is the lowest score at which the out-of-fold false-positive rate, averaged over benign sources, stays at or below this.</param>
/// <param name="Folds">Cross-validation folds by family, used only when <paramref name="LeaveSourceOut"/> is false.</param>
/// <param name="LeaveSourceOut">
/// Out-of-fold scores by leaving one source out at a time (each source is scored by a model that
/// never saw it), so the threshold is tuned for corpora the model has not seen, not for the style
/// of the ones it has.
/// </param>
/// <param name="SourceWeightExponent">Each prompt weighs 1/size^this of its source within its class: 1 = every source counts alike, 0 = every prompt.</param>
public sealed record InjectionTrainingSettings(
    int Seed = 42,
    float L2 = 1e-4f,
    double TargetFalsePositiveRate = 0.05,
    int Folds = 4,
    bool LeaveSourceOut = true,
    double SourceWeightExponent = 0.5);

/// <summary>A trained model: the ONNX bytes, its manifest, and the out-of-fold figures (per source, at the tuned threshold) its threshold came from.</summary>
public sealed record InjectionTrainingResult(byte[] Onnx, InjectionModelManifest Manifest, IReadOnlyList<SourceFigures> OutOfFold);

/// <summary>
/// Trains the prompt-injection model: <see cref="InjectionFeatures"/> of each window of each text
/// (the gateway scores the same windows) → ML.NET L-BFGS logistic regression (calibrated
/// probability) → ONNX with ML.NET's converter. Benign sources are weighted so each counts about
/// alike (a big source of easy prompts does not drown a small hard one), and both classes weigh
/// the same in total. The threshold is picked on out-of-fold scores (cross-validation by family
/// over the training rows), then the model is trained on all of them.
/// </summary>
public static class InjectionTrainer
{
    public const string AlgorithmName = "mlnet_lbfgs_logistic_regression";

    private const string FeaturesColumn = AnomalyModelMetadata.InputName;
    private const string LabelColumn = "label";
    private const string WeightColumn = "weight";

    public static InjectionTrainingResult Train(IReadOnlyList<PromptSample> samples, InjectionTrainingSettings settings, string data, Action<string>? progress = null, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(samples);
        ArgumentNullException.ThrowIfNull(settings);
        if (!samples.Any(s => s.Injection) || samples.All(s => s.Injection))
        {
            throw new ArgumentException("Training needs both injection and benign prompts.", nameof(samples));
        }

        var featurized = Featurize(samples);
        progress?.Invoke($"{samples.Count} prompts, {featurized.Sum(f => f.Windows.Length)} windows featurized");

        // Out-of-fold scores for the threshold: by source (each source scored by a model that never saw it) or by family.
        var outOfFold = new float[samples.Count];
        var groups = settings.LeaveSourceOut
            ? samples.Select(s => s.Source).Distinct().Order(StringComparer.Ordinal).ToArray()
            : Enumerable.Range(0, settings.Folds).Select(f => f.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToArray();
        for (var fold = 0; fold < groups.Length; fold++)
        {
            var train = new List<int>();
            var test = new List<int>();
            for (var i = 0; i < samples.Count; i++)
            {
                var held = settings.LeaveSourceOut ? samples[i].Source == groups[fold] : CorpusSplit.Fold(samples[i], settings.Folds) == fold;
                (held ? test : train).Add(i);
            }

            if (!train.Any(i => samples[i].Injection) || train.All(i => samples[i].Injection))
            {
                throw new ArgumentException($"Without '{groups[fold]}' the training rows have a single class.", nameof(samples));
            }

            var (ml, model) = Fit(samples, featurized, train, settings);
            var scores = Predict(ml, model, featurized, test);
            for (var k = 0; k < test.Count; k++)
            {
                outOfFold[test[k]] = scores[k];
            }

            progress?.Invoke($"fold {fold + 1}/{groups.Length} ({(settings.LeaveSourceOut ? groups[fold] : "family fold " + groups[fold])}) scored ({test.Count} prompts)");
        }

        var (threshold, tunedFp, tunedRecall) = PickThreshold(samples, outOfFold, settings.TargetFalsePositiveRate);
        progress?.Invoke($"threshold {threshold:0.0000}: out-of-fold macro FP {tunedFp:P2}, recall {tunedRecall:P1}");

        var outOfFoldFigures = samples.Select((s, i) => (s, i))
            .GroupBy(p => (p.s.Source, p.s.Injection))
            .OrderBy(g => g.Key.Injection ? 0 : 1).ThenBy(g => g.Key.Source, StringComparer.Ordinal)
            .Select(g => new SourceFigures(g.Key.Source, g.Key.Injection, g.Count(), g.Count(p => outOfFold[p.i] >= threshold)))
            .ToList();
        var all = Enumerable.Range(0, samples.Count).ToList();
        var (finalMl, finalModel) = Fit(samples, featurized, all, settings);
        var featuresOnly = finalMl.Data.LoadFromEnumerable([new FeatureRow { Features = new VBuffer<float>(InjectionFeatures.Count, 0, [], []) }]);
        byte[] onnx;
        using (var stream = new MemoryStream())
        {
            finalMl.Model.ConvertToOnnx(finalModel, featuresOnly, stream, "Probability");
            onnx = stream.ToArray();
        }

        var rows = featurized.Sum(f => f.Windows.Length);
        var manifest = new InjectionModelManifest
        {
            FeatureSchemaVersion = InjectionFeatures.SchemaVersion,
            FeatureCount = InjectionFeatures.Count,
            ModelSha256 = ModelFileHash.Compute(onnx),
            Threshold = threshold,
            Algorithm = AlgorithmName,
            Training = new InjectionTrainingRecord
            {
                CreatedAt = (clock ?? TimeProvider.System).GetUtcNow(),
                Trainer = $"ML.NET {Version(typeof(LbfgsLogisticRegressionBinaryTrainer).Assembly)} LbfgsLogisticRegressionBinaryTrainer",
                Seed = settings.Seed,
                L2 = settings.L2,
                Rows = rows,
                Positives = featurized.Where((f, i) => samples[i].Injection).Sum(f => f.Windows.Length),
                Data = data,
                TargetFalsePositiveRate = settings.TargetFalsePositiveRate,
                TunedFalsePositiveRate = tunedFp,
                TunedRecall = tunedRecall,
            },
        };
        return new InjectionTrainingResult(onnx, manifest, outOfFoldFigures);
    }

    /// <summary>
    /// The lowest threshold whose false-positive rate, averaged over benign sources and pooled
    /// over all benign prompts, both stay at or below the target; with its FP rate and recall.
    /// </summary>
    public static (float Threshold, double FalsePositiveRate, double Recall) PickThreshold(IReadOnlyList<PromptSample> samples, IReadOnlyList<float> scores, double target)
    {
        var candidates = scores.Where((s, i) => !samples[i].Injection).Distinct().Order().ToList();
        candidates.Add(1f);
        var bySource = samples.Select((s, i) => (s, i)).Where(p => !p.s.Injection).GroupBy(p => p.s.Source).Select(g => g.Select(p => scores[p.i]).Order().ToArray()).ToList();
        var benign = samples.Where(s => !s.Injection).Count();
        float best = 1f;
        double bestFp = 0;

        // Binary search would need monotonicity, which holds: FP falls as the threshold rises.
        int lo = 0, hi = candidates.Count - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) / 2;
            var t = NextUp(candidates[mid]);
            var (macro, pooled) = FalsePositives(bySource, benign, t);
            if (macro <= target && pooled <= target)
            {
                best = t;
                bestFp = macro;
                hi = mid - 1;
            }
            else
            {
                lo = mid + 1;
            }
        }

        var attacks = scores.Where((s, i) => samples[i].Injection).ToList();
        var recall = attacks.Count == 0 ? 0 : attacks.Count(s => s >= best) / (double)attacks.Count;
        return (best, bestFp, recall);
    }

    private static float NextUp(float value) => MathF.BitIncrement(value);

    private static (double Macro, double Pooled) FalsePositives(List<float[]> bySource, int benign, float threshold)
    {
        double macro = 0;
        var pooled = 0;
        foreach (var source in bySource)
        {
            var above = source.Length - LowerBound(source, threshold);
            macro += above / (double)source.Length;
            pooled += above;
        }

        return (macro / Math.Max(1, bySource.Count), pooled / (double)Math.Max(1, benign));
    }

    private static int LowerBound(float[] sorted, float value)
    {
        int lo = 0, hi = sorted.Length;
        while (lo < hi)
        {
            var mid = (lo + hi) / 2;
            if (sorted[mid] < value)
            {
                lo = mid + 1;
            }
            else
            {
                hi = mid;
            }
        }

        return lo;
    }

    private sealed record Featurized(VBuffer<float>[] Windows, float RuleScore);

    private static Featurized[] Featurize(IReadOnlyList<PromptSample> samples)
    {
        var result = new Featurized[samples.Count];
        Parallel.For(0, samples.Count, new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, Environment.ProcessorCount) }, () => new InjectionFeatureVector(), (i, _, vector) =>
        {
            var text = samples[i].Text.Length > PromptInjectionDetector.MaxInspectedChars
                ? samples[i].Text[..PromptInjectionDetector.MaxInspectedChars]
                : samples[i].Text;
            var normalized = TextNormalizer.Normalize(text);
            var windows = new List<VBuffer<float>>();
            var rule = 0f;
            foreach (var (start, length) in PromptInjectionDetector.Windows(normalized.Text.Length))
            {
                vector.Compute(normalized.Text.AsSpan(start, length), normalized.Findings);
                windows.Add(Sparse(vector));
                rule = Math.Max(rule, vector.RuleScore);
            }

            result[i] = new Featurized([.. windows], rule);
            return vector;
        }, _ => { });
        return result;
    }

    /// <summary>The vector as a sparse buffer, indices ascending.</summary>
    internal static VBuffer<float> Sparse(InjectionFeatureVector vector)
    {
        var indices = new List<int>(vector.Touched.Length + InjectionFeatures.DenseCount);
        foreach (var index in vector.Touched)
        {
            indices.Add(index);
        }

        indices.Sort();
        for (var i = InjectionFeatures.DenseOffset; i < InjectionFeatures.Count; i++)
        {
            if (vector.Values[i] != 0)
            {
                indices.Add(i);
            }
        }

        var values = indices.Select(i => vector.Values[i]).ToArray();
        return new VBuffer<float>(InjectionFeatures.Count, indices.Count, values, [.. indices]);
    }

    private static (MLContext Ml, ITransformer Model) Fit(IReadOnlyList<PromptSample> samples, Featurized[] featurized, List<int> rows, InjectionTrainingSettings settings)
    {
        // Sources count about alike within a class (weight per prompt 1/size^exponent, so no big
        // source of one style dominates); each prompt's weight is shared by its windows; both
        // classes weigh the same in total.
        var sizes = rows.GroupBy(i => (samples[i].Source, samples[i].Injection)).ToDictionary(g => g.Key, g => g.Count());
        var raw = rows.Select(i => Math.Pow(sizes[(samples[i].Source, samples[i].Injection)], -settings.SourceWeightExponent) / featurized[i].Windows.Length).ToArray();
        var positive = rows.Select((i, k) => samples[i].Injection ? raw[k] * featurized[i].Windows.Length : 0).Sum();
        var negative = rows.Select((i, k) => samples[i].Injection ? 0 : raw[k] * featurized[i].Windows.Length).Sum();
        var training = new List<TrainingRow>();
        for (var k = 0; k < rows.Count; k++)
        {
            var i = rows[k];
            var scale = samples[i].Injection ? rows.Count / 2.0 / positive : rows.Count / 2.0 / negative;
            foreach (var window in featurized[i].Windows)
            {
                training.Add(new TrainingRow { Features = window, Label = samples[i].Injection, Weight = (float)(raw[k] * scale) });
            }
        }

        var ml = new MLContext(settings.Seed);
        var trainer = ml.BinaryClassification.Trainers.LbfgsLogisticRegression(new LbfgsLogisticRegressionBinaryTrainer.Options
        {
            FeatureColumnName = FeaturesColumn,
            LabelColumnName = LabelColumn,
            ExampleWeightColumnName = WeightColumn,
            L2Regularization = settings.L2,
            L1Regularization = 0,
            NumberOfThreads = 1,
            MaximumNumberOfIterations = 200,
            OptimizationTolerance = 1e-6f,
        });
        var model = trainer.Fit(ml.Data.LoadFromEnumerable(training));
        return (ml, model);
    }

    /// <summary>The highest window score of each listed prompt, by ML.NET itself (the export is checked against it in tests).</summary>
    private static float[] Predict(MLContext ml, ITransformer model, Featurized[] featurized, List<int> rows)
    {
        var windows = rows.SelectMany(i => featurized[i].Windows.Select(w => new FeatureRow { Features = w })).ToList();
        var probabilities = model.Transform(ml.Data.LoadFromEnumerable(windows)).GetColumn<float>("Probability").ToArray();
        var scores = new float[rows.Count];
        var at = 0;
        for (var k = 0; k < rows.Count; k++)
        {
            var best = 0f;
            for (var w = 0; w < featurized[rows[k]].Windows.Length; w++)
            {
                best = Math.Max(best, probabilities[at++]);
            }

            // The rules' floor under the model's score, at the floor's own 0.9 or 0.95: the threshold
            // is what these scores choose, so it is not known yet. The detector lifts a floor to the
            // tuned threshold (PromptInjectionDetector.FloorScore), so a row only a floor flags
            // counts in these figures at thresholds up to 0.9 or 0.95, and in the gateway at any.
            scores[k] = Math.Max(best, featurized[rows[k]].RuleScore);
        }

        return scores;
    }

    private static string Version(Assembly assembly)
    {
        var version = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? assembly.GetName().Version?.ToString() ?? "?";
        var plus = version.IndexOf('+', StringComparison.Ordinal);
        return plus >= 0 ? version[..plus] : version;
    }

    private sealed class TrainingRow
    {
        [ColumnName(FeaturesColumn)]
        [VectorType(InjectionFeatures.Count)]
        public VBuffer<float> Features { get; set; }

        [ColumnName(LabelColumn)]
        public bool Label { get; set; }

        [ColumnName(WeightColumn)]
        public float Weight { get; set; }
    }

    private sealed class FeatureRow
    {
        [ColumnName(FeaturesColumn)]
        [VectorType(InjectionFeatures.Count)]
        public VBuffer<float> Features { get; set; }
    }
}
