using AiGuard.Audit;
using AiGuard.Identity;

namespace AiGuard.Configuration;

/// <summary>The <c>AiGuard</c> configuration section: everything besides YARP's own routes and clusters.</summary>
public sealed class AiGuardOptions
{
    public const string SectionName = "AiGuard";

    /// <summary>Request limits that apply to every route unless the route overrides them.</summary>
    public RequestLimitsOptions Limits { get; set; } = new();

    /// <summary>Per YARP route id: the protocol it speaks, the scopes it needs, its limits.</summary>
    public Dictionary<string, RoutePolicyOptions> Routes { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Per YARP cluster id: credentials and headers added to requests sent upstream.</summary>
    public Dictionary<string, UpstreamOptions> Upstreams { get; set; } = new(StringComparer.Ordinal);

    public ApiKeyOptions ApiKeys { get; set; } = new();

    public AuditOptions Audit { get; set; } = new();
}

/// <summary>Limits on request bodies; every value may be overridden per route.</summary>
public sealed class RequestLimitsOptions
{
    public const long DefaultMaxBodyBytes = 1024 * 1024;
    public const int DefaultMaxJsonDepth = 32;
    public const int DefaultMaxJsonElements = 100_000;

    /// <summary>Largest request body accepted, in bytes (413 above).</summary>
    public long? MaxBodyBytes { get; set; }

    /// <summary>Deepest JSON nesting accepted (400 above).</summary>
    public int? MaxJsonDepth { get; set; }

    /// <summary>Most JSON values (objects, arrays, scalars) accepted in one body (400 above).</summary>
    public int? MaxJsonElements { get; set; }

    /// <summary>Media types a body may have (415 otherwise).</summary>
    public List<string>? AllowedContentTypes { get; set; }
}

/// <summary>AiGuard's view of one YARP route.</summary>
public sealed class RoutePolicyOptions
{
    /// <summary><c>openai</c>, <c>open-inference-v2</c> or <c>tf-serving</c>.</summary>
    public string Protocol { get; set; } = string.Empty;

    /// <summary>Scopes a key must hold, all of them, to use the route.</summary>
    public List<string> RequiredScopes { get; set; } = [];

    /// <summary>A path prefix the route is mounted under that the protocol paths do not include.</summary>
    public string? PathPrefix { get; set; }

    public RequestLimitsOptions Limits { get; set; } = new();
}

/// <summary>What the gateway adds to requests it forwards to one cluster.</summary>
public sealed class UpstreamOptions
{
    /// <summary>Header carrying the upstream credential, for example <c>Authorization</c> or <c>api-key</c>.</summary>
    public string CredentialHeader { get; set; } = "Authorization";

    /// <summary>Prefix put before the credential, for example <c>Bearer </c>; empty for none.</summary>
    public string CredentialPrefix { get; set; } = "Bearer ";

    /// <summary>The credential itself. Prefer <see cref="CredentialEnvironmentVariable"/> or an environment-variable override.</summary>
    public string? Credential { get; set; }

    /// <summary>Name of an environment variable that holds the credential.</summary>
    public string? CredentialEnvironmentVariable { get; set; }

    /// <summary>Other fixed headers to add (not secrets: they may be logged).</summary>
    public Dictionary<string, string> Headers { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}
