using System.Security.Claims;
using AiGuard.Pipeline;
using Microsoft.Extensions.Options;

namespace AiGuard.Identity;

/// <summary>Checks a presented API key against the configured hashes.</summary>
public sealed class ApiKeyValidator
{
    private readonly IOptionsMonitor<ApiKeyOptions> _options;
    private readonly TimeProvider _time;
    private Snapshot _snapshot;

    public ApiKeyValidator(IOptionsMonitor<ApiKeyOptions> options, TimeProvider time)
    {
        _options = options;
        _time = time;
        _snapshot = Snapshot.Build(options.CurrentValue);
        // Keys are reloaded with the configuration; requests in flight keep the snapshot they read.
        options.OnChange(o => _snapshot = Snapshot.Build(o));
    }

    /// <summary>Validates a key; on failure the result names a stable problem code, never the key.</summary>
    public ApiKeyValidation Validate(string presentedKey)
    {
        var snapshot = _snapshot;
        if (!ApiKeyFormat.TryParse(presentedKey, out var prefix, out var id)
            || !string.Equals(prefix, snapshot.Prefix, StringComparison.Ordinal)
            || !snapshot.Entries.TryGetValue(id, out var entry))
        {
            // Hash anyway so an unknown id costs the same time as a wrong secret.
            ApiKeyFormat.Matches(presentedKey, snapshot.DummyDigest);
            return ApiKeyValidation.Fail(ProblemCodes.InvalidApiKey, keyId: null);
        }

        if (!ApiKeyFormat.Matches(presentedKey, entry.Digest))
        {
            return ApiKeyValidation.Fail(ProblemCodes.InvalidApiKey, keyId: null);
        }

        if (entry.Source.Revoked)
        {
            return ApiKeyValidation.Fail(ProblemCodes.RevokedApiKey, entry.Source.Id);
        }

        if (entry.Source.ExpiresAt is { } expires && expires <= _time.GetUtcNow())
        {
            return ApiKeyValidation.Fail(ProblemCodes.ExpiredApiKey, entry.Source.Id);
        }

        return ApiKeyValidation.Success(entry.Identity, entry.Principal);
    }

    // The principal is built once per key and configuration: requests only read it.
    private sealed record Entry(ApiKeyEntry Source, byte[] Digest, ClientIdentity Identity, ClaimsPrincipal Principal);

    private sealed record Snapshot(string Prefix, Dictionary<string, Entry> Entries, byte[] DummyDigest)
    {
        public static Snapshot Build(ApiKeyOptions options)
        {
            var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
            foreach (var key in options.Keys)
            {
                // Invalid entries are reported by the options validator at start; a bad reload skips them.
                if (!ApiKeyFormat.TryDecodeHash(key.Hash, out var digest) || string.IsNullOrEmpty(key.Id))
                {
                    continue;
                }

                var identity = new ClientIdentity(
                    string.IsNullOrWhiteSpace(key.ClientId) ? key.Id : key.ClientId,
                    key.Id,
                    key.Tenant,
                    new HashSet<string>(key.Scopes, StringComparer.Ordinal),
                    key.AllowedRoutes.ToArray(),
                    key.AllowedModels.ToArray());
                entries[key.Id] = new Entry(key, digest, identity, identity.ToPrincipal(ApiKeyAuthenticationHandler.SchemeName));
            }

            return new Snapshot(options.Prefix, entries, new byte[32]);
        }
    }
}

/// <summary>The outcome of checking one API key.</summary>
public readonly record struct ApiKeyValidation(ClientIdentity? Identity, ClaimsPrincipal? Principal, string? FailureCode, string? KeyId)
{
    public bool Succeeded => Identity is not null;

    public static ApiKeyValidation Success(ClientIdentity identity, ClaimsPrincipal principal) => new(identity, principal, null, identity.KeyId);

    public static ApiKeyValidation Fail(string code, string? keyId) => new(null, null, code, keyId);
}
