namespace AiGuard.Onnx.Native;

/// <summary>Names of the <c>OrtErrorCode</c> values, for messages people can read.</summary>
public static class OrtErrorCodes
{
    /// <summary>ORT_INVALID_ARGUMENT.</summary>
    public const int InvalidArgument = 2;

    /// <summary>ORT_INVALID_PROTOBUF: the model bytes are not a valid ONNX model.</summary>
    public const int InvalidProtobuf = 7;

    /// <summary>The C enum's name for a code, or its number when unknown.</summary>
    public static string Name(int code) => code switch
    {
        0 => "OK",
        1 => "FAIL",
        2 => "INVALID_ARGUMENT",
        3 => "NO_SUCHFILE",
        4 => "NO_MODEL",
        5 => "ENGINE_ERROR",
        6 => "RUNTIME_EXCEPTION",
        7 => "INVALID_PROTOBUF",
        8 => "MODEL_LOADED",
        9 => "NOT_IMPLEMENTED",
        10 => "INVALID_GRAPH",
        11 => "EP_FAIL",
        _ => code.ToString(System.Globalization.CultureInfo.InvariantCulture),
    };
}
