using AiGuard.Anomaly;
using AiGuard.Tests.Onnx;
using Google.Protobuf;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AiGuard.Tests.Anomaly;

/// <summary>
/// Small ONNX models for the contract tests, built with the classes protoc generates from the
/// vendored onnx.proto subset: shapes, names, types and metadata the trainer never produces.
/// </summary>
internal static class TestModels
{
    /// <summary>
    /// A model shaped like an anomaly model, sigmoid of the row mean, with a chosen input name,
    /// output name and element type, shapes and metadata. <paramref name="features"/> null
    /// leaves the input's width symbolic; <paramref name="batch"/> fixes its first dimension;
    /// <paramref name="extraInput"/> adds a second input.
    /// </summary>
    public static byte[] ScoreLike(
        int? features,
        string inputName = AnomalyModelMetadata.InputName,
        string outputName = AnomalyModelMetadata.OutputName,
        TensorElementType outputType = TensorElementType.Float,
        bool scoreColumn = false,
        long? batch = null,
        string? schemaVersion = "1",
        string? featureNames = null,
        string? extraInput = null)
    {
        var graph = new GraphProto { Name = "score_like" };
        graph.Node.Add(Node("ReduceMean", [inputName], ["mean"], Ints("axes", 1), Int("keepdims", scoreColumn ? 1 : 0)));
        if (outputType == TensorElementType.Float)
        {
            graph.Node.Add(Node("Sigmoid", ["mean"], [outputName]));
        }
        else
        {
            graph.Node.Add(Node("Sigmoid", ["mean"], ["probability"]));
            graph.Node.Add(Node("Cast", ["probability"], [outputName], Int("to", (long)outputType)));
        }

        var rows = batch is { } fixedRows ? Dim(fixedRows) : Dim("N");
        graph.Input.Add(Value(inputName, TensorElementType.Float, rows, features is { } width ? Dim(width) : Dim("F")));
        if (extraInput is not null)
        {
            // Declared but unused, like the label of an ML.NET model converted with its training data.
            graph.Input.Add(Value(extraInput, TensorElementType.Float, rows, Dim(1)));
        }

        graph.Output.Add(scoreColumn ? Value(outputName, outputType, rows, Dim(1)) : Value(outputName, outputType, rows));

        var metadata = new List<(string, string)>();
        if (schemaVersion is not null)
        {
            metadata.Add((AnomalyModelMetadata.FeatureSchemaVersion, schemaVersion));
        }

        if (featureNames is not null)
        {
            metadata.Add((AnomalyModelMetadata.FeatureNames, featureNames));
        }

        return Model(graph, metadata);
    }

    /// <summary>
    /// Both accepted outputs, with different values: <c>score</c> = sigmoid(mean) and
    /// <c>Probability.output</c> [N, 1] = sigmoid(-mean), over float32 [N, features].
    /// </summary>
    public static byte[] BothOutputs(int features)
    {
        var graph = new GraphProto { Name = "both_outputs" };
        graph.Node.Add(Node("ReduceMean", [AnomalyModelMetadata.InputName], ["mean"], Ints("axes", 1), Int("keepdims", 0)));
        graph.Node.Add(Node("Sigmoid", ["mean"], [AnomalyModelMetadata.OutputName]));
        graph.Node.Add(Node("ReduceMean", [AnomalyModelMetadata.InputName], ["mean_column"], Ints("axes", 1), Int("keepdims", 1)));
        graph.Node.Add(Node("Neg", ["mean_column"], ["negated"]));
        graph.Node.Add(Node("Sigmoid", ["negated"], [AnomalyModelMetadata.ProbabilityOutputName]));
        graph.Input.Add(Value(AnomalyModelMetadata.InputName, TensorElementType.Float, Dim("N"), Dim(features)));
        graph.Output.Add(Value(AnomalyModelMetadata.ProbabilityOutputName, TensorElementType.Float, Dim("N"), Dim(1)));
        graph.Output.Add(Value(AnomalyModelMetadata.OutputName, TensorElementType.Float, Dim("N")));
        return Model(graph, [(AnomalyModelMetadata.FeatureSchemaVersion, "1")]);
    }

    /// <summary>
    /// Meets the contract but fails inside ONNX Runtime unless exactly two rows are scored: the
    /// row means are reshaped to a fixed [2], which ORT infers as the shape of <c>score</c>.
    /// </summary>
    public static byte[] FailsUnlessTwoRows(int features)
    {
        var graph = new GraphProto { Name = "fails_unless_two_rows" };
        graph.Node.Add(Node("ReduceMean", [AnomalyModelMetadata.InputName], ["mean"], Ints("axes", 1), Int("keepdims", 0)));
        graph.Node.Add(Node("Reshape", ["mean", "two"], [AnomalyModelMetadata.OutputName]));
        graph.Initializer.Add(new TensorProto { Name = "two", DataType = (int)TensorElementType.Int64, Dims = { 1 }, Int64Data = { 2 } });
        graph.Input.Add(Value(AnomalyModelMetadata.InputName, TensorElementType.Float, Dim("N"), Dim(features)));
        graph.Output.Add(Value(AnomalyModelMetadata.OutputName, TensorElementType.Float, Dim("N")));
        return Model(graph, [(AnomalyModelMetadata.FeatureSchemaVersion, "1")]);
    }

    private static byte[] Model(GraphProto graph, IEnumerable<(string Key, string Value)> metadata)
    {
        var model = new ModelProto
        {
            IrVersion = 8,
            ProducerName = "aiguard-tests",
            Graph = graph,
            OpsetImport = { new OperatorSetIdProto { Domain = string.Empty, Version = 13 } },
        };
        foreach (var (key, value) in metadata)
        {
            model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        }

        return model.ToByteArray();
    }

    private static NodeProto Node(string op, string[] inputs, string[] outputs, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = $"{op}_{outputs[0]}" };
        node.Input.AddRange(inputs);
        node.Output.AddRange(outputs);
        node.Attribute.AddRange(attributes);
        return node;
    }

    private static AttributeProto Int(string name, long value) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    private static AttributeProto Ints(string name, params long[] values) =>
        new() { Name = name, Type = AttributeProto.Types.AttributeType.Ints, Ints = { values } };

    private static TensorShapeProto.Types.Dimension Dim(long value) => new() { DimValue = value };

    private static TensorShapeProto.Types.Dimension Dim(string name) => new() { DimParam = name };

    private static ValueInfoProto Value(string name, TensorElementType type, params TensorShapeProto.Types.Dimension[] dims) => new()
    {
        Name = name,
        Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = new TensorShapeProto { Dim = { dims } } } },
    };
}
