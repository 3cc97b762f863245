using Microsoft.ML.OnnxRuntime.Tensors;

namespace AiGuard.Training.Onnx;

/// <summary>A tensor dimension: a fixed size, or a symbolic name such as "N".</summary>
public readonly record struct OnnxDim(long? Value, string? Symbol)
{
    public static implicit operator OnnxDim(long value) => new(value, null);

    public static implicit operator OnnxDim(string symbol) => new(null, symbol);
}

/// <summary>
/// A graph input or output: name, element type and shape. ONNX Runtime's <see cref="TensorElementType"/>
/// numbers are ONNX's TensorProto.DataType values, so the writer stores them as they are.
/// </summary>
public sealed record OnnxValueInfo(string Name, TensorElementType ElementType, IReadOnlyList<OnnxDim> Shape);

/// <summary>A constant tensor stored in the graph (float or int64 data).</summary>
public sealed record OnnxInitializer(string Name, IReadOnlyList<long> Dims, float[]? Floats = null, long[]? Int64s = null);

/// <summary>A node attribute; exactly one of the value fields is set.</summary>
public sealed record OnnxAttribute(
    string Name,
    float? Float = null,
    long? Int = null,
    string? String = null,
    float[]? Floats = null,
    long[]? Ints = null,
    string[]? Strings = null);

/// <summary>One operator application in the graph.</summary>
public sealed record OnnxNode(
    string OpType,
    IReadOnlyList<string> Inputs,
    IReadOnlyList<string> Outputs,
    IReadOnlyList<OnnxAttribute>? Attributes = null,
    string Domain = "",
    string? Name = null);

/// <summary>An operator set the model imports ("" is the default ONNX domain).</summary>
public sealed record OnnxOpset(string Domain, long Version);

/// <summary>Everything the writer needs to emit one ONNX model.</summary>
public sealed record OnnxModelDefinition
{
    public required string GraphName { get; init; }

    public required IReadOnlyList<OnnxNode> Nodes { get; init; }

    public required IReadOnlyList<OnnxValueInfo> Inputs { get; init; }

    public required IReadOnlyList<OnnxValueInfo> Outputs { get; init; }

    public required IReadOnlyList<OnnxOpset> Opsets { get; init; }

    public IReadOnlyList<OnnxInitializer> Initializers { get; init; } = [];

    /// <summary>Written to ModelProto.metadata_props, in order.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Metadata { get; init; } = [];

    public string ProducerName { get; init; } = "aiguard";

    public string ProducerVersion { get; init; } = "1";

    /// <summary>ONNX IR version; 8 is understood by every ONNX Runtime since 1.10.</summary>
    public long IrVersion { get; init; } = 8;
}
