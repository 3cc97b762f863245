namespace AiGuard.Identity;

/// <summary>The <c>AiGuard:Jwt</c> section: bearer tokens from an OIDC provider or signed with configured keys, beside API keys.</summary>
/// <remarks>Read at start (the signing keys, the authority and the claim mapping are fixed for the process).</remarks>
public sealed class JwtOptions
{
    /// <summary>The OIDC issuer URL; its <c>/.well-known/openid-configuration</c> names the signing keys (JWKS), refetched as they roll over.</summary>
    public string? Authority { get; set; }

    /// <summary>Allow an <c>http://</c> authority (tests and loopback only).</summary>
    public bool RequireHttpsMetadata { get; set; } = true;

    /// <summary>Accepted <c>iss</c> values; with an authority, its own issuer is accepted too.</summary>
    public List<string> Issuers { get; set; } = [];

    /// <summary>Accepted <c>aud</c> values; at least one is required.</summary>
    public List<string> Audiences { get; set; } = [];

    /// <summary>Signing keys given directly instead of (or beside) an authority.</summary>
    public List<JwtSigningKeyOptions> SigningKeys { get; set; } = [];

    /// <summary>Accepted signing algorithms. Default: RS256/384/512, PS256/384/512, ES256/384/512; HS256/384/512 only when a symmetric key is configured.</summary>
    public List<string> Algorithms { get; set; } = [];

    /// <summary>Tolerance for <c>exp</c> and <c>nbf</c>. Default one minute.</summary>
    public TimeSpan ClockSkew { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>The claim that becomes the client id. Default <c>sub</c>.</summary>
    public string ClientIdClaim { get; set; } = "sub";

    /// <summary>The claim that names the tenant; <see cref="DefaultTenant"/> when absent.</summary>
    public string TenantClaim { get; set; } = "tenant";

    public string DefaultTenant { get; set; } = "default";

    /// <summary>Claims that carry scopes (space-separated strings or arrays). Empty (the default) means <c>scope</c> and <c>scp</c>.</summary>
    /// <remarks>Empty rather than pre-filled: the configuration binder appends to a list, so a pre-filled default could not be replaced.</remarks>
    public List<string> ScopeClaims { get; set; } = [];

    /// <summary>The claim listing the route globs the client may use; <see cref="DefaultAllowedRoutes"/> when absent.</summary>
    public string AllowedRoutesClaim { get; set; } = "aiguard_routes";

    /// <summary>The claim listing the model globs the client may use; <see cref="DefaultAllowedModels"/> when absent.</summary>
    public string AllowedModelsClaim { get; set; } = "aiguard_models";

    /// <summary>Route globs for tokens without the routes claim; empty allows none.</summary>
    public List<string> DefaultAllowedRoutes { get; set; } = [];

    /// <summary>Model globs for tokens without the models claim; empty allows none.</summary>
    public List<string> DefaultAllowedModels { get; set; } = [];

    public bool Enabled => !string.IsNullOrWhiteSpace(Authority) || SigningKeys.Count > 0;
}

/// <summary>A configured signing key: a PEM public key (RSA or EC) or a base64 symmetric secret.</summary>
public sealed class JwtSigningKeyOptions
{
    /// <summary>The <c>kid</c> tokens signed with this key carry (optional).</summary>
    public string? KeyId { get; set; }

    /// <summary>A PEM public key (<c>-----BEGIN PUBLIC KEY-----</c>).</summary>
    public string? PublicKeyPem { get; set; }

    /// <summary>A base64 symmetric secret of at least 32 bytes, for HS256/384/512. Prefer asymmetric keys.</summary>
    public string? Secret { get; set; }
}
