namespace AiGuard.Configuration;

/// <summary>A configuration that cannot be used, with every problem found, each naming its setting.</summary>
public sealed class GatewayConfigurationException : Exception
{
    public GatewayConfigurationException()
        : this([])
    {
    }

    public GatewayConfigurationException(string message)
        : this([message])
    {
    }

    public GatewayConfigurationException(string message, Exception innerException)
        : base(Describe([message]), innerException)
    {
        Errors = [message];
    }

    public GatewayConfigurationException(IReadOnlyList<string> errors)
        : base(Describe(errors))
    {
        Errors = errors;
    }

    /// <summary>One line per problem, each naming the setting (for example <c>AiGuard:Limits:MaxBodyBytes</c>).</summary>
    public IReadOnlyList<string> Errors { get; }

    private static string Describe(IReadOnlyList<string> errors) => errors.Count switch
    {
        0 => "The configuration is not valid.",
        1 => "The configuration is not valid: " + errors[0],
        _ => $"The configuration is not valid ({errors.Count} problems):" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  - " + e)),
    };
}
