namespace DemoModel.Http;

/// <summary>A request the server refuses; each protocol turns it into its own error shape.</summary>
internal sealed class DemoRequestException(int statusCode, string message, string? param = null, string? code = null)
    : Exception(message)
{
    public int StatusCode { get; } = statusCode;

    public string? Param { get; } = param;

    public string? Code { get; } = code;

    public static DemoRequestException BadRequest(string message, string? param = null) =>
        new(StatusCodes.Status400BadRequest, message, param);
}
