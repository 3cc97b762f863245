using AiGuard.Tests.Anomaly;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AiGuard.Tests.Training;

/// <summary>The hand-written ONNX writer's output, read back and run by the real ONNX Runtime.</summary>
public class OnnxModelWriterTests
{
    [Fact]
    public void Written_inputs_and_outputs_read_back_with_names_element_types_and_symbolic_dims()
    {
        using var session = new InferenceSession(TestModels.Affine());

        Assert.Equal(["x"], session.InputNames);
        Assert.Equal(["y"], session.OutputNames);
        foreach (var node in new[] { session.InputMetadata["x"], session.OutputMetadata["y"] })
        {
            Assert.Equal(OnnxValueType.ONNX_TYPE_TENSOR, node.OnnxValueType);
            Assert.Equal(TensorElementType.Float, node.ElementDataType);
            Assert.Equal([-1, 3], node.Dimensions);
            Assert.Equal(["N", ""], node.SymbolicDimensions);
        }
    }

    [Fact]
    public void Written_producer_name_and_metadata_props_read_back()
    {
        using var session = new InferenceSession(TestModels.Affine([new("owner", "security"), new("purpose", "tests")]));

        Assert.Equal("aiguard-tests", session.ModelMetadata.ProducerName);
        Assert.Equal("affine", session.ModelMetadata.GraphName);
        Assert.Equal(2, session.ModelMetadata.CustomMetadataMap.Count);
        Assert.Equal("security", session.ModelMetadata.CustomMetadataMap["owner"]);
        Assert.Equal("tests", session.ModelMetadata.CustomMetadataMap["purpose"]);
    }

    [Fact]
    public void A_model_written_without_metadata_has_an_empty_custom_map()
    {
        using var session = new InferenceSession(TestModels.Affine());

        Assert.Empty(session.ModelMetadata.CustomMetadataMap);
    }

    [Fact]
    public void Written_nodes_and_initializers_compute_the_graph()
    {
        using var session = new InferenceSession(TestModels.Affine());
        float[] x = [1, 2, 3, -1, 0, 0.5f];
        using var input = OrtValue.CreateTensorValueFromMemory(x, [2, 3]);
        using var runOptions = new RunOptions();

        using var outputs = session.Run(runOptions, ["x"], [input], ["y"]);

        var y = Assert.Single(outputs);
        Assert.Equal([2L, 3L], y.GetTensorTypeAndShape().Shape);
        Assert.Equal([3f, 5f, 7f, -1f, 1f, 2f], y.GetTensorDataAsSpan<float>().ToArray());
    }
}
