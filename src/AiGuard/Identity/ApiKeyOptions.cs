namespace AiGuard.Identity;

/// <summary>API-key authentication settings (section <c>AiGuard:ApiKeys</c>).</summary>
public sealed class ApiKeyOptions
{
    /// <summary>The prefix every key of this deployment starts with.</summary>
    public string Prefix { get; set; } = ApiKeyFormat.DefaultPrefix;

    /// <summary>Extra header that may carry the key besides <c>Authorization: Bearer</c>.</summary>
    public string HeaderName { get; set; } = "x-api-key";

    /// <summary>The keys, each stored as a hash.</summary>
    public List<ApiKeyEntry> Keys { get; set; } = [];
}

/// <summary>One configured API key: its hash and what it may do.</summary>
public sealed class ApiKeyEntry
{
    /// <summary>The public id part of the key (between the two underscores).</summary>
    public string Id { get; set; } = string.Empty;

    /// <summary><c>sha256:</c> followed by the hex SHA-256 of the whole key.</summary>
    public string Hash { get; set; } = string.Empty;

    /// <summary>The client this key identifies; limits and anomaly state are kept per client. Defaults to the key id.</summary>
    public string? ClientId { get; set; }

    public string Tenant { get; set; } = "default";

    public List<string> Scopes { get; set; } = [];

    /// <summary>Route ids (globs with <c>*</c>) the key may call. Empty means none.</summary>
    public List<string> AllowedRoutes { get; set; } = [];

    /// <summary>Model names (globs with <c>*</c>) the key may address. Empty means none.</summary>
    public List<string> AllowedModels { get; set; } = [];

    public DateTimeOffset? ExpiresAt { get; set; }

    public bool Revoked { get; set; }

    public string? Description { get; set; }
}
