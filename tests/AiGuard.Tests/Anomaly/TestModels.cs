using AiGuard.Anomaly;
using AiGuard.Training.Onnx;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AiGuard.Tests.Anomaly;

/// <summary>Small ONNX models written with AiGuard's own writer for writer and contract tests.</summary>
internal static class TestModels
{
    /// <summary>y = x * 2 + 1 over input x float32 [N, 3].</summary>
    public static byte[] Affine(IReadOnlyList<KeyValuePair<string, string>>? metadata = null) => OnnxModelWriter.Write(new OnnxModelDefinition
    {
        GraphName = "affine",
        Nodes =
        [
            new OnnxNode("Mul", ["x", "two"], ["doubled"]),
            new OnnxNode("Add", ["doubled", "one"], ["y"]),
        ],
        Initializers = [new OnnxInitializer("two", [], Floats: [2f]), new OnnxInitializer("one", [], Floats: [1f])],
        Inputs = [new OnnxValueInfo("x", TensorElementType.Float, ["N", 3])],
        Outputs = [new OnnxValueInfo("y", TensorElementType.Float, ["N", 3])],
        Opsets = [new OnnxOpset("", 13)],
        Metadata = metadata ?? [],
        ProducerName = "aiguard-tests",
    });

    /// <summary>
    /// A model shaped like an anomaly model, sigmoid of the row mean, with a chosen input name,
    /// output name and element type, shapes and metadata. <paramref name="features"/> null
    /// leaves the input's width symbolic; <paramref name="batch"/> fixes its first dimension.
    /// </summary>
    public static byte[] ScoreLike(
        int? features,
        string inputName = AnomalyModelMetadata.InputName,
        string outputName = AnomalyModelMetadata.OutputName,
        TensorElementType outputType = TensorElementType.Float,
        bool scoreColumn = false,
        long? batch = null,
        string? schemaVersion = "1",
        string? featureNames = null)
    {
        var keepdims = scoreColumn ? 1 : 0;
        var nodes = new List<OnnxNode>
        {
            new("ReduceMean", [inputName], ["mean"], [new OnnxAttribute("axes", Ints: [1]), new OnnxAttribute("keepdims", Int: keepdims)]),
            new("Sigmoid", ["mean"], [outputType == TensorElementType.Float ? outputName : "probability"]),
        };
        if (outputType != TensorElementType.Float)
        {
            nodes.Add(new OnnxNode("Cast", ["probability"], [outputName], [new OnnxAttribute("to", Int: (long)outputType)]));
        }

        var metadata = new List<KeyValuePair<string, string>>();
        if (schemaVersion is not null)
        {
            metadata.Add(new(AnomalyModelMetadata.FeatureSchemaVersion, schemaVersion));
        }

        if (featureNames is not null)
        {
            metadata.Add(new(AnomalyModelMetadata.FeatureNames, featureNames));
        }

        OnnxDim rows = batch is { } fixedRows ? fixedRows : "N";
        OnnxDim width = features is { } fixedWidth ? fixedWidth : "F";
        return OnnxModelWriter.Write(new OnnxModelDefinition
        {
            GraphName = "score_like",
            Nodes = nodes,
            Inputs = [new OnnxValueInfo(inputName, TensorElementType.Float, [rows, width])],
            Outputs = [new OnnxValueInfo(outputName, outputType, scoreColumn ? [rows, 1] : [rows])],
            Opsets = [new OnnxOpset("", 13)],
            Metadata = metadata,
        });
    }

    /// <summary>
    /// Meets the contract but fails inside ONNX Runtime unless exactly two rows are scored: the
    /// row means are reshaped to a fixed [2], which ORT infers as the shape of <c>score</c>.
    /// </summary>
    public static byte[] FailsUnlessTwoRows(int features) => OnnxModelWriter.Write(new OnnxModelDefinition
    {
        GraphName = "fails_unless_two_rows",
        Nodes =
        [
            new OnnxNode("ReduceMean", [AnomalyModelMetadata.InputName], ["mean"], [new OnnxAttribute("axes", Ints: [1]), new OnnxAttribute("keepdims", Int: 0)]),
            new OnnxNode("Reshape", ["mean", "two"], [AnomalyModelMetadata.OutputName]),
        ],
        Initializers = [new OnnxInitializer("two", [1], Int64s: [2])],
        Inputs = [new OnnxValueInfo(AnomalyModelMetadata.InputName, TensorElementType.Float, ["N", features])],
        Outputs = [new OnnxValueInfo(AnomalyModelMetadata.OutputName, TensorElementType.Float, ["N"])],
        Opsets = [new OnnxOpset("", 13)],
        Metadata = [new(AnomalyModelMetadata.FeatureSchemaVersion, "1")],
    });
}
