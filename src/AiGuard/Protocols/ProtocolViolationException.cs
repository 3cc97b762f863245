using AiGuard.Pipeline;

namespace AiGuard.Protocols;

/// <summary>A body that does not match its protocol: names the field and the problem.</summary>
public sealed class ProtocolViolationException : Exception
{
    public ProtocolViolationException()
        : this(string.Empty, "invalid request body")
    {
    }

    public ProtocolViolationException(string message)
        : this(string.Empty, message)
    {
    }

    public ProtocolViolationException(string message, Exception innerException)
        : base(message, innerException)
    {
        Field = string.Empty;
        Code = ProblemCodes.InvalidBody;
    }

    public ProtocolViolationException(string field, string message, string code = ProblemCodes.InvalidBody)
        : base(message)
    {
        Field = field;
        Code = code;
    }

    /// <summary>The path of the offending field, for example <c>messages[0].role</c>.</summary>
    public string Field { get; }

    /// <summary>The problem code to answer with.</summary>
    public string Code { get; }

    /// <summary>The model the body named before it was found invalid, if it got that far: recorded in the audit event.</summary>
    public string? Model { get; internal set; }
}
