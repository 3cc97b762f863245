namespace AiGuard.Onnx;

/// <summary>
/// A loaded ONNX model that can be run. The one seam between AiGuard and ONNX Runtime, so this
/// binding could be swapped for Microsoft.ML.OnnxRuntime where that package is available.
/// Run may be called from many threads at once.
/// </summary>
public interface IOnnxSession : IDisposable
{
    /// <summary>The model's inputs in declaration order.</summary>
    IReadOnlyList<OnnxNodeInfo> Inputs { get; }

    /// <summary>The model's outputs in declaration order.</summary>
    IReadOnlyList<OnnxNodeInfo> Outputs { get; }

    /// <summary>Producer name and custom metadata.</summary>
    OnnxModelMetadata Metadata { get; }

    /// <summary>Runs the model and copies the requested float outputs (all outputs when null).</summary>
    IReadOnlyList<FloatTensor> Run(IReadOnlyList<FloatTensorInput> inputs, IReadOnlyList<string>? outputNames = null);

    /// <summary>
    /// One float input to one float output without allocating managed memory: the hot path for
    /// scoring. Returns the number of elements written to <paramref name="destination"/>.
    /// </summary>
    int Run(string inputName, ReadOnlySpan<float> data, ReadOnlySpan<long> shape, string outputName, Span<float> destination);
}
