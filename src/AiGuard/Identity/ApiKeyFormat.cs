using System.Security.Cryptography;
using System.Text;

namespace AiGuard.Identity;

/// <summary>Creates, parses and hashes API keys of the form <c>prefix_id_secret</c>.</summary>
/// <remarks>
/// The id is public (it appears in logs and audit events); the secret carries 256 bits of
/// entropy in base62 so that no key contains the separator. Only
/// <c>sha256:hex(SHA-256(whole key))</c> is stored, which is safe because the secret is random,
/// not a password.
/// </remarks>
public static class ApiKeyFormat
{
    public const string DefaultPrefix = "agk";
    public const int IdLength = 12;
    public const int SecretLength = 43;
    public const string HashScheme = "sha256:";

    /// <summary>The authentication type of principals built from API keys.</summary>
    public const string AuthenticationType = "AiGuardApiKey";

    private const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    /// <summary>Generates a new key with a random id and secret.</summary>
    public static GeneratedApiKey Generate(string prefix = DefaultPrefix)
    {
        ValidatePrefix(prefix);
        var id = RandomBase62(IdLength);
        var secret = RandomBase62(SecretLength);
        var key = $"{prefix}_{id}_{secret}";
        return new GeneratedApiKey(key, id, Hash(key));
    }

    /// <summary>Splits a presented key into prefix and id without judging the secret.</summary>
    public static bool TryParse(ReadOnlySpan<char> key, out string prefix, out string id)
    {
        if (!TryParse(key, out Range prefixRange, out Range idRange))
        {
            prefix = id = string.Empty;
            return false;
        }

        prefix = key[prefixRange].ToString();
        id = key[idRange].ToString();
        return true;
    }

    /// <summary>Finds prefix and id in a presented key without allocating and without judging the secret.</summary>
    public static bool TryParse(ReadOnlySpan<char> key, out Range prefix, out Range id)
    {
        prefix = id = default;
        if (key.Length > 256)
        {
            return false;
        }

        var first = key.IndexOf('_');
        if (first <= 0)
        {
            return false;
        }

        var rest = key[(first + 1)..];
        var second = rest.IndexOf('_');
        if (second <= 0 || second == rest.Length - 1 || rest[(second + 1)..].Contains('_'))
        {
            return false;
        }

        if (!IsBase62(key[..first]) || !IsBase62(rest[..second]) || !IsBase62(rest[(second + 1)..]))
        {
            return false;
        }

        prefix = ..first;
        id = (first + 1)..(first + 1 + second);
        return true;
    }

    /// <summary>The stored form of a key: <c>sha256:</c> followed by 64 lowercase hex digits.</summary>
    public static string Hash(string key)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        ComputeDigest(key, digest);
        return HashScheme + Convert.ToHexStringLower(digest);
    }

    /// <summary>Decodes a stored hash into its 32 digest bytes.</summary>
    public static bool TryDecodeHash(string? stored, out byte[] digest)
    {
        digest = [];
        if (stored is null || !stored.StartsWith(HashScheme, StringComparison.Ordinal))
        {
            return false;
        }

        var hex = stored.AsSpan(HashScheme.Length);
        if (hex.Length != SHA256.HashSizeInBytes * 2)
        {
            return false;
        }

        try
        {
            digest = Convert.FromHexString(hex);
            return true;
        }
        catch (FormatException)
        {
            return false;
        }
    }

    /// <summary>Compares a presented key with a stored digest in constant time.</summary>
    public static bool Matches(string presentedKey, ReadOnlySpan<byte> storedDigest)
    {
        Span<byte> digest = stackalloc byte[SHA256.HashSizeInBytes];
        ComputeDigest(presentedKey, digest);
        return CryptographicOperations.FixedTimeEquals(digest, storedDigest);
    }

    internal static void ValidatePrefix(string prefix)
    {
        if (string.IsNullOrEmpty(prefix) || prefix.Length > 16 || !IsBase62(prefix))
        {
            throw new ArgumentException("A key prefix is 1 to 16 letters or digits.", nameof(prefix));
        }
    }

    private static void ComputeDigest(string key, Span<byte> digest)
    {
        var bytes = Encoding.UTF8.GetBytes(key);
        try
        {
            SHA256.HashData(bytes, digest);
        }
        finally
        {
            CryptographicOperations.ZeroMemory(bytes);
        }
    }

    private static string RandomBase62(int length)
    {
        // GetString picks each character uniformly (rejection sampling inside), so no modulo bias.
        return RandomNumberGenerator.GetString(Base62, length);
    }

    private static bool IsBase62(ReadOnlySpan<char> value)
    {
        foreach (var c in value)
        {
            if (!char.IsAsciiLetterOrDigit(c))
            {
                return false;
            }
        }

        return value.Length > 0;
    }
}

/// <summary>A freshly generated key: the full key is shown once, then only the hash is kept.</summary>
public sealed record GeneratedApiKey(string Key, string Id, string Hash)
{
    /// <summary>Never print the key through ToString by accident.</summary>
    public override string ToString() => $"GeneratedApiKey {{ Id = {Id} }}";
}
