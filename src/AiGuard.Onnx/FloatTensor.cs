namespace AiGuard.Onnx;

/// <summary>A named float32 tensor over caller memory, used as a Run input without copying.</summary>
public readonly record struct FloatTensorInput(string Name, ReadOnlyMemory<float> Data, long[] Shape);

/// <summary>A named float32 tensor copied out of ONNX Runtime after a Run.</summary>
public sealed record FloatTensor(string Name, float[] Data, long[] Shape);
