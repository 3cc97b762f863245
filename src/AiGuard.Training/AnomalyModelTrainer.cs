using AiGuard.Training.Features;
using AiGuard.Training.Onnx;
using AiGuard.Training.Trees;

namespace AiGuard.Training;

/// <summary>
/// Trains the anomaly model a table calls for: isolation forest without labels, gradient
/// boosting with a <c>label</c> column. Returns the reference model and its ONNX bytes.
/// </summary>
public static class AnomalyModelTrainer
{
    /// <summary>The trained ensemble (reference evaluation) and the serialized ONNX model.</summary>
    public sealed record Result(TreeEnsembleModel Model, byte[] OnnxBytes);

    public static Result Train(FeatureTable table, AnomalyTrainingOptions options, IProgress<int>? treesDone = null, TimeProvider? clock = null)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(options);
        var model = table.HasLabels
            ? GradientBoostingTrainer.Train(table, options, treesDone)
            : IsolationForestTrainer.Train(table, options, treesDone);
        var facts = new TreeEnsembleOnnxExporter.TrainingFacts(
            table.FeatureNames, table.RowCount, options.SchemaVersion, (clock ?? TimeProvider.System).GetUtcNow());
        return new Result(model, TreeEnsembleOnnxExporter.Export(model, facts));
    }
}
