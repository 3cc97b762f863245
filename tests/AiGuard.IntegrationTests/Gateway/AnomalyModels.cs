using AiGuard.Anomaly;
using AiGuard.Training.Onnx;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AiGuard.IntegrationTests.Gateway;

/// <summary>Small anomaly-contract models written with the offline writer, for gateway start-up tests.</summary>
internal static class AnomalyModels
{
    /// <summary>score = sigmoid(mean(features)) over float32 [N, features].</summary>
    public static byte[] Mean(int features) => OnnxModelWriter.Write(new OnnxModelDefinition
    {
        GraphName = "mean",
        Nodes =
        [
            new OnnxNode("ReduceMean", [AnomalyModelMetadata.InputName], ["mean"], [new OnnxAttribute("axes", Ints: [1]), new OnnxAttribute("keepdims", Int: 0)]),
            new OnnxNode("Sigmoid", ["mean"], [AnomalyModelMetadata.OutputName]),
        ],
        Inputs = [new OnnxValueInfo(AnomalyModelMetadata.InputName, TensorElementType.Float, ["N", features])],
        Outputs = [new OnnxValueInfo(AnomalyModelMetadata.OutputName, TensorElementType.Float, ["N"])],
        Opsets = [new OnnxOpset(string.Empty, 13)],
        Metadata = [new(AnomalyModelMetadata.FeatureSchemaVersion, "1")],
    });
}
