namespace AiGuard.Admin;

/// <summary>The admin API (section <c>AiGuard:Admin</c>): its own listener, its own credentials (docs/admin-api.md).</summary>
public sealed class AdminOptions
{
    /// <summary>The scope an API key of <c>AiGuard:ApiKeys:Keys</c> must carry to be accepted on the admin API.</summary>
    public const string Scope = "aiguard.admin";

    /// <summary>The admin listener's address when none is configured: loopback only.</summary>
    public const string DefaultUrls = "http://127.0.0.1:8081";

    /// <summary>Start the admin listener (read at start). On by default.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>Where the admin listener listens, <c>;</c>-separated (read at start). Loopback by default.</summary>
    public string Urls { get; set; } = DefaultUrls;

    /// <summary>The prefix of admin keys; it must differ from <c>AiGuard:ApiKeys:Prefix</c> so that no admin key is ever taken for a model key.</summary>
    public string KeyPrefix { get; set; } = "aga";

    /// <summary>
    /// Whether an unreachable Redis makes <c>/readyz</c> answer 503 (default true). False for a
    /// deployment whose limits fail open: the check is still reported, but a Redis outage no
    /// longer takes every replica out of its Service at once.
    /// </summary>
    public bool RedisInReadiness { get; set; } = true;

    /// <summary>The admin keys, each stored as a hash (create one with <c>aiguard admin-key create</c>). Reloaded with the configuration.</summary>
    public List<AdminKeyEntry> Keys { get; set; } = [];
}

/// <summary>One admin credential: its hash and who holds it.</summary>
public sealed class AdminKeyEntry
{
    /// <summary>The public id part of the key (between the two underscores); it names the operator in audit events.</summary>
    public string Id { get; set; } = string.Empty;

    /// <summary><c>sha256:</c> followed by the hex SHA-256 of the whole key.</summary>
    public string Hash { get; set; } = string.Empty;

    /// <summary>Who holds the key (audited as the client id, <c>admin:NAME</c>); the key id when empty.</summary>
    public string? Name { get; set; }

    public DateTimeOffset? ExpiresAt { get; set; }

    public bool Revoked { get; set; }

    public string? Description { get; set; }
}
