namespace AiGuard.Onnx;

/// <summary>ONNX tensor element types (the values of ONNXTensorElementDataType / TensorProto.DataType).</summary>
public enum TensorElementType
{
    /// <summary>Not a tensor, or an unknown type.</summary>
    Undefined = 0,
    Float = 1,
    UInt8 = 2,
    Int8 = 3,
    UInt16 = 4,
    Int16 = 5,
    Int32 = 6,
    Int64 = 7,
    String = 8,
    Bool = 9,
    Float16 = 10,
    Double = 11,
    UInt32 = 12,
    UInt64 = 13,
}
