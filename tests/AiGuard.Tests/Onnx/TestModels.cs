using AiGuard.Anomaly.Model;
using AiGuard.Onnx;

namespace AiGuard.Tests.Onnx;

/// <summary>Small ONNX models written with AiGuard's own writer for binding and contract tests.</summary>
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
    /// A model shaped like an anomaly model but with a chosen input name, output name, output
    /// element type and metadata: sigmoid of the row mean, [N, features] to [N].
    /// </summary>
    public static byte[] ScoreLike(
        int features,
        string inputName = "features",
        string outputName = "score",
        TensorElementType outputType = TensorElementType.Float,
        string? schemaVersion = "1")
    {
        var nodes = new List<OnnxNode>
        {
            new("ReduceMean", [inputName], ["mean"], [new OnnxAttribute("axes", Ints: [1]), new OnnxAttribute("keepdims", Int: 0)]),
            new("Sigmoid", ["mean"], [outputType == TensorElementType.Float ? outputName : "probability"]),
        };
        if (outputType != TensorElementType.Float)
        {
            nodes.Add(new OnnxNode("Cast", ["probability"], [outputName], [new OnnxAttribute("to", Int: (long)outputType)]));
        }

        return OnnxModelWriter.Write(new OnnxModelDefinition
        {
            GraphName = "score_like",
            Nodes = nodes,
            Inputs = [new OnnxValueInfo(inputName, TensorElementType.Float, ["N", features])],
            Outputs = [new OnnxValueInfo(outputName, outputType, ["N"])],
            Opsets = [new OnnxOpset("", 13)],
            Metadata = schemaVersion is null ? [] : [new("aiguard.feature_schema_version", schemaVersion)],
        });
    }
}
