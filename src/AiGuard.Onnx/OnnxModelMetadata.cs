namespace AiGuard.Onnx;

/// <summary>The model's producer name and custom metadata map (ModelProto.metadata_props).</summary>
public sealed record OnnxModelMetadata(string? ProducerName, IReadOnlyDictionary<string, string> Custom);
