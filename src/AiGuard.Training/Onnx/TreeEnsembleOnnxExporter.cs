using System.Globalization;
using AiGuard.Anomaly;
using AiGuard.Training.Trees;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AiGuard.Training.Onnx;

/// <summary>
/// Exports a <see cref="TreeEnsembleModel"/> as an ONNX model with the anomaly contract: an
/// ai.onnx.ml TreeEnsembleRegressor (ml opset 3) summing the trees, standard ops mapping the sum
/// into [0, 1], and a Reshape from [N, 1] to the [N] output <c>score</c>.
/// </summary>
public static class TreeEnsembleOnnxExporter
{
    private const string MlDomain = "ai.onnx.ml";

    /// <summary>Facts about the training run written to metadata_props.</summary>
    public sealed record TrainingFacts(IReadOnlyList<string> FeatureNames, int TrainingRows, string SchemaVersion, DateTimeOffset CreatedAt);

    public static byte[] Export(TreeEnsembleModel model, TrainingFacts facts) => OnnxModelWriter.Write(Define(model, facts));

    public static OnnxModelDefinition Define(TreeEnsembleModel model, TrainingFacts facts)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(facts);
        if (facts.FeatureNames.Count != model.FeatureCount)
        {
            throw new ArgumentException($"{facts.FeatureNames.Count} feature names for a model of {model.FeatureCount} features.", nameof(facts));
        }

        var nodes = new List<OnnxNode> { TreeNode(model) };
        var initializers = new List<OnnxInitializer> { new("score_shape", [1], Int64s: [-1]) };
        if (model.Transform == ScoreTransform.ScaledExp)
        {
            initializers.Add(new OnnxInitializer("scale", [], Floats: [model.Scale]));
            nodes.Add(new OnnxNode("Mul", ["tree_sum", "scale"], ["scaled_sum"]));
            nodes.Add(new OnnxNode("Exp", ["scaled_sum"], ["score_2d"]));
        }
        else
        {
            nodes.Add(new OnnxNode("Sigmoid", ["tree_sum"], ["score_2d"]));
        }

        nodes.Add(new OnnxNode("Reshape", ["score_2d", "score_shape"], [AnomalyModelMetadata.OutputName]));

        return new OnnxModelDefinition
        {
            GraphName = "aiguard_anomaly",
            Nodes = nodes,
            Initializers = initializers,
            Inputs = [new OnnxValueInfo(AnomalyModelMetadata.InputName, TensorElementType.Float, ["N", model.FeatureCount])],
            Outputs = [new OnnxValueInfo(AnomalyModelMetadata.OutputName, TensorElementType.Float, ["N"])],
            Opsets = [new OnnxOpset("", 13), new OnnxOpset(MlDomain, 3)],
            Metadata =
            [
                new(AnomalyModelMetadata.FeatureSchemaVersion, facts.SchemaVersion),
                new(AnomalyModelMetadata.FeatureNames, string.Join(',', facts.FeatureNames)),
                new(AnomalyModelMetadata.TrainingRows, facts.TrainingRows.ToString(CultureInfo.InvariantCulture)),
                new(AnomalyModelMetadata.CreatedAt, facts.CreatedAt.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)),
                new(AnomalyModelMetadata.Algorithm, model.Algorithm),
            ],
        };
    }

    private static OnnxNode TreeNode(TreeEnsembleModel model)
    {
        var treeIds = new List<long>();
        var nodeIds = new List<long>();
        var featureIds = new List<long>();
        var modes = new List<string>();
        var values = new List<float>();
        var trueIds = new List<long>();
        var falseIds = new List<long>();
        var targetTreeIds = new List<long>();
        var targetNodeIds = new List<long>();
        var targetWeights = new List<float>();

        for (var t = 0; t < model.Trees.Count; t++)
        {
            var tree = model.Trees[t];
            for (var n = 0; n < tree.NodeCount; n++)
            {
                var leaf = tree.Left[n] < 0;
                treeIds.Add(t);
                nodeIds.Add(n);
                featureIds.Add(leaf ? 0 : tree.Feature[n]);
                modes.Add(leaf ? "LEAF" : "BRANCH_LEQ");
                values.Add(leaf ? 0 : tree.Threshold[n]);
                trueIds.Add(leaf ? 0 : tree.Left[n]);
                falseIds.Add(leaf ? 0 : tree.Right[n]);
                if (leaf)
                {
                    targetTreeIds.Add(t);
                    targetNodeIds.Add(n);
                    targetWeights.Add(tree.Value[n]);
                }
            }
        }

        return new OnnxNode(
            "TreeEnsembleRegressor",
            [AnomalyModelMetadata.InputName],
            ["tree_sum"],
            [
                new("n_targets", Int: 1),
                new("aggregate_function", String: "SUM"),
                new("post_transform", String: "NONE"),
                new("base_values", Floats: [model.Transform == ScoreTransform.Logistic ? model.BaseValue : 0f]),
                new("nodes_treeids", Ints: [.. treeIds]),
                new("nodes_nodeids", Ints: [.. nodeIds]),
                new("nodes_featureids", Ints: [.. featureIds]),
                new("nodes_modes", Strings: [.. modes]),
                new("nodes_values", Floats: [.. values]),
                new("nodes_truenodeids", Ints: [.. trueIds]),
                new("nodes_falsenodeids", Ints: [.. falseIds]),
                new("target_ids", Ints: new long[targetTreeIds.Count]),
                new("target_treeids", Ints: [.. targetTreeIds]),
                new("target_nodeids", Ints: [.. targetNodeIds]),
                new("target_weights", Floats: [.. targetWeights]),
            ],
            MlDomain);
    }
}
