namespace AiGuard.Onnx;

/// <summary>How a session is created and where the ONNX Runtime library is.</summary>
public sealed record OnnxSessionOptions
{
    /// <summary>
    /// Threads for one Run. 1 by default: the gateway scores one small row per request on many
    /// requests at once, so parallelism comes from concurrent Runs, not from inside one.
    /// </summary>
    public int IntraOpThreads { get; init; } = 1;

    /// <summary>Threads across independent graph nodes; our graphs are a chain, so 1.</summary>
    public int InterOpThreads { get; init; } = 1;

    /// <summary>
    /// Explicit ONNX Runtime library file; otherwise AIGUARD_ONNXRUNTIME_PATH, then the cache.
    /// The first session of the process loads the library; later values are ignored.
    /// </summary>
    public string? LibraryPath { get; init; }
}
