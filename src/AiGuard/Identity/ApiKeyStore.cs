using System.Buffers;
using System.Runtime.InteropServices;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using AiGuard.Pipeline;

namespace AiGuard.Identity;

/// <summary>The configured API keys of one configuration snapshot, ready to check presented keys against.</summary>
/// <remarks>
/// Built once per configuration; a request only reads it. Each key's client identity and
/// principal are built here, once, so authentication allocates nothing per request.
/// </remarks>
public sealed class ApiKeyStore
{
    /// <summary>Compared against when the presented id is unknown, so every presented key costs one SHA-256 and one comparison.</summary>
    private static readonly byte[] UnknownKeyDigest = new byte[SHA256.HashSizeInBytes];

    private readonly Dictionary<string, Entry> _entries;
    private readonly Dictionary<string, Entry>.AlternateLookup<ReadOnlySpan<char>> _byId;

    private ApiKeyStore(string prefix, string headerName, Dictionary<string, Entry> entries)
    {
        Prefix = prefix;
        HeaderName = headerName;
        _entries = entries;
        _byId = entries.GetAlternateLookup<ReadOnlySpan<char>>();
    }

    /// <summary>The prefix every key of this deployment starts with.</summary>
    public string Prefix { get; }

    /// <summary>The header that may carry a key besides <c>Authorization: Bearer</c>.</summary>
    public string HeaderName { get; }

    public int Count => _entries.Count;

    /// <summary>Builds the store; the options were validated as a whole before (entries with a bad hash are not accepted).</summary>
    public static ApiKeyStore Build(ApiKeyOptions options)
    {
        var entries = new Dictionary<string, Entry>(StringComparer.Ordinal);
        foreach (var key in options.Keys)
        {
            if (!ApiKeyFormat.TryDecodeHash(key.Hash, out var digest) || string.IsNullOrEmpty(key.Id))
            {
                throw new ArgumentException($"API key entry '{key.Id}' has no valid hash.", nameof(options));
            }

            var identity = new ClientIdentity(
                string.IsNullOrWhiteSpace(key.ClientId) ? key.Id : key.ClientId,
                key.Id,
                key.Tenant,
                new HashSet<string>(key.Scopes, StringComparer.Ordinal),
                [.. key.AllowedRoutes],
                [.. key.AllowedModels]);
            entries[key.Id] = new Entry(digest, key.Revoked, key.ExpiresAt, identity, identity.ToPrincipal(ApiKeyFormat.AuthenticationType));
        }

        return new ApiKeyStore(options.Prefix, options.HeaderName, entries);
    }

    /// <summary>
    /// Checks a presented key, remembering a valid one on its HTTP/1.x connection: a keep-alive
    /// connection presents the same key request after request, and comparing it in constant time
    /// with the key this connection presented before is far cheaper than hashing it again. The
    /// remembered key is only ever compared with what the same connection sends, and only while
    /// this store (this configuration) is in force; expiry and revocation are checked every time.
    /// </summary>
    /// <param name="connectionItems">The connection's items (HTTP/1.x only: one request at a time); null to not remember.</param>
    public ApiKeyValidation Validate(ReadOnlySpan<char> presentedKey, DateTimeOffset now, IDictionary<object, object?>? connectionItems)
    {
        if (connectionItems is not null
            && connectionItems.TryGetValue(RememberedKey.ItemKey, out var item)
            && item is RememberedKey remembered
            && ReferenceEquals(remembered.Store, this)
            && remembered.Key.Length == presentedKey.Length
            && CryptographicOperations.FixedTimeEquals(MemoryMarshal.AsBytes(remembered.Key.AsSpan()), MemoryMarshal.AsBytes(presentedKey)))
        {
            return Check(remembered.Entry, now);
        }

        var result = Validate(presentedKey, now, out var entry);
        if (connectionItems is not null && entry is not null && result.Succeeded)
        {
            connectionItems[RememberedKey.ItemKey] = new RememberedKey(presentedKey.ToArray(), this, entry);
        }

        return result;
    }

    /// <summary>Checks a presented key; on failure the result names a stable problem code, never the key.</summary>
    /// <remarks>
    /// The SHA-256 of whatever was presented is computed first and always compared in constant
    /// time (against <see cref="UnknownKeyDigest"/> when the id is unknown), so an unknown id, a
    /// malformed key and a wrong secret take the same time: timing does not reveal which ids exist.
    /// </remarks>
    public ApiKeyValidation Validate(ReadOnlySpan<char> presentedKey, DateTimeOffset now) => Validate(presentedKey, now, out _);

    private ApiKeyValidation Validate(ReadOnlySpan<char> presentedKey, DateTimeOffset now, out Entry? matched)
    {
        matched = null;
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        ComputeDigest(presentedKey, digest);

        Entry? entry = null;
        var known = ApiKeyFormat.TryParse(presentedKey, out Range prefix, out Range id)
            && presentedKey[prefix].SequenceEqual(Prefix)
            && _byId.TryGetValue(presentedKey[id], out entry);
        var matches = CryptographicOperations.FixedTimeEquals(digest, known ? entry!.Digest : UnknownKeyDigest);
        if (!known || !matches)
        {
            return ApiKeyValidation.Fail(ProblemCodes.InvalidApiKey, keyId: null);
        }

        matched = entry;
        return Check(entry!, now);
    }

    /// <summary>The verdict on a key whose secret matched: revoked, expired or valid.</summary>
    private static ApiKeyValidation Check(Entry entry, DateTimeOffset now)
    {
        if (entry.Revoked)
        {
            return ApiKeyValidation.Fail(ProblemCodes.RevokedApiKey, entry.Identity.KeyId);
        }

        if (entry.ExpiresAt is { } expires && expires <= now)
        {
            return ApiKeyValidation.Fail(ProblemCodes.ExpiredApiKey, entry.Identity.KeyId);
        }

        return ApiKeyValidation.Success(entry.Identity, entry.Principal);
    }

    private static void ComputeDigest(ReadOnlySpan<char> key, Span<byte> digest)
    {
        var length = Encoding.UTF8.GetMaxByteCount(key.Length);
        byte[]? rented = null;
        var bytes = length <= 1024 ? stackalloc byte[1024] : (rented = ArrayPool<byte>.Shared.Rent(length));
        var written = Encoding.UTF8.GetBytes(key, bytes);
        SHA256.HashData(bytes[..written], digest);
        CryptographicOperations.ZeroMemory(bytes[..written]);
        if (rented is not null)
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private sealed record Entry(byte[] Digest, bool Revoked, DateTimeOffset? ExpiresAt, ClientIdentity Identity, ClaimsPrincipal Principal);

    /// <summary>The key a connection presented last, with the entry it matched in one store.</summary>
    private sealed class RememberedKey(char[] key, ApiKeyStore store, Entry entry)
    {
        public static readonly object ItemKey = new();

        public char[] Key { get; } = key;

        public ApiKeyStore Store { get; } = store;

        public Entry Entry { get; } = entry;
    }
}

/// <summary>The outcome of checking one API key.</summary>
public readonly record struct ApiKeyValidation(ClientIdentity? Identity, ClaimsPrincipal? Principal, string? FailureCode, string? KeyId)
{
    public bool Succeeded => Identity is not null;

    public static ApiKeyValidation Success(ClientIdentity identity, ClaimsPrincipal principal) => new(identity, principal, null, identity.KeyId);

    public static ApiKeyValidation Fail(string code, string? keyId) => new(null, null, code, keyId);
}
