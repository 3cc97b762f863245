namespace DemoModel;

/// <summary>Switches of the demo model server, bound from the <c>DemoModel</c> configuration section.</summary>
public sealed class DemoModelOptions
{
    /// <summary>The configuration section the options are bound from.</summary>
    public const string SectionName = "DemoModel";

    /// <summary>The address used when neither <c>--urls</c> nor an environment variable names one.</summary>
    public const string DefaultUrl = "http://127.0.0.1:5080";

    /// <summary>Honour the <c>x-demo-fault</c> request header (slow, error, reset, garbage).</summary>
    public bool EnableFaults { get; set; }

    /// <summary>Map <c>GET /debug/headers</c>, which echoes the request headers it received.</summary>
    public bool EnableDebugEndpoints { get; set; }

    /// <summary>When set, every request except the health probes must carry <c>Authorization: Bearer</c> this key.</summary>
    public string? RequiredApiKey { get; set; }

    /// <summary>Delay of the <c>slow</c> fault when the request has no <c>x-demo-delay-ms</c> header.</summary>
    public int DefaultSlowDelayMs { get; set; } = 2000;

    /// <summary>The clock the <c>slow</c> fault waits on; tests set a fake one (code only, not configuration).</summary>
    public TimeProvider Time { get; set; } = TimeProvider.System;

    internal void Validate()
    {
        if (DefaultSlowDelayMs < 0)
        {
            throw new InvalidOperationException($"{SectionName}:{nameof(DefaultSlowDelayMs)} must be zero or positive.");
        }

        if (RequiredApiKey is not null && string.IsNullOrWhiteSpace(RequiredApiKey))
        {
            throw new InvalidOperationException($"{SectionName}:{nameof(RequiredApiKey)} must not be blank; leave it unset to accept every caller.");
        }
    }
}
