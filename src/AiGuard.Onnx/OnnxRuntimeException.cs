namespace AiGuard.Onnx;

/// <summary>An error reported by ONNX Runtime, carrying its message and error code.</summary>
public sealed class OnnxRuntimeException : Exception
{
    public OnnxRuntimeException() { }
    public OnnxRuntimeException(string message) : base(message) { }
    public OnnxRuntimeException(string message, Exception inner) : base(message, inner) { }
    public OnnxRuntimeException(int errorCode, string message) : base(message) => ErrorCode = errorCode;

    /// <summary>The <c>OrtErrorCode</c> value (0 when the error did not come from ORT).</summary>
    public int ErrorCode { get; }
}
