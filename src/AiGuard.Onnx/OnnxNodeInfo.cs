namespace AiGuard.Onnx;

/// <summary>A model input or output as ONNX Runtime reports it; symbolic dimensions read as -1.</summary>
public sealed record OnnxNodeInfo(string Name, bool IsTensor, TensorElementType ElementType, IReadOnlyList<long> Shape)
{
    /// <summary>Shape as text, e.g. <c>[-1, 8]</c>, for error messages.</summary>
    public string ShapeText => "[" + string.Join(", ", Shape) + "]";
}
