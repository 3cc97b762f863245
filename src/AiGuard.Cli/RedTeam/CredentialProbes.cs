using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using AiGuard.Identity;

namespace AiGuard.Cli.RedTeam;

/// <summary>
/// Missing and forged credentials: no key, malformed keys, the right prefix and id with a wrong
/// secret, and the real key where it must not be accepted (the query string, other headers).
/// </summary>
/// <remarks>
/// Six of these count as failed authentications from this address (the default throttle allows
/// 20 a minute) and two of them name the key's own id (10 a minute), so the real key is never
/// throttled by this category alone.
/// </remarks>
internal static class CredentialProbes
{
    public const string Category = "credentials";

    private const string Unauthenticated = "401 missing_credentials";
    private const string Invalid = "401 invalid_api_key";

    public static IEnumerable<Probe> All()
    {
        yield return Probe("no-key", Unauthenticated, c => Chat(c, null), "missing_credentials");
        yield return Probe("malformed-key", Invalid, c => Chat(c, new AuthenticationHeaderValue("Bearer", "not-a-key")), "invalid_api_key");
        yield return Probe("wrong-secret", Invalid, c => Chat(c, Bearer(Forge(c.Key, secret: true))), "invalid_api_key");
        yield return Probe("unknown-key-id", Invalid, c => Chat(c, Bearer(ApiKeyFormat.Generate(PrefixOf(c.Key)).Key)), "invalid_api_key");
        yield return Probe("other-prefix", Invalid, c => Chat(c, Bearer(Forge(c.Key, secret: false))), "invalid_api_key");
        yield return Probe("truncated-key", Invalid, c => Chat(c, Bearer(c.Key[..^1])), "invalid_api_key");
        yield return Probe("key-in-basic-auth", Invalid + " or missing_credentials", c => Chat(c, new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes("user:" + c.Key)))), "invalid_api_key", "missing_credentials");
        yield return Probe("key-in-query-api_key", Unauthenticated, c => Chat(c, null, "?api_key=" + Uri.EscapeDataString(c.Key)), "missing_credentials");
        yield return Probe("key-in-query-key", Unauthenticated, c => Chat(c, null, "?key=" + Uri.EscapeDataString(c.Key)), "missing_credentials");
        yield return Probe("key-in-x-auth-token", Unauthenticated, c => WithHeader(Chat(c, null), "X-Auth-Token", c.Key), "missing_credentials");
        yield return Probe("key-in-proxy-authorization", Unauthenticated, c => WithHeader(Chat(c, null), "Proxy-Authorization", "Bearer " + c.Key), "missing_credentials");
    }

    private static Probe Probe(string name, string expectation, Func<RedTeamClient, HttpRequestMessage> build, params string[] codes) =>
        new(Category, name, "refused " + expectation, async (client, cancellationToken) =>
        {
            var response = await client.SendAsync(build(client), cancellationToken);
            // A throttled guess is a stopped guess: the key was never checked.
            return Judge.Refused(response, [.. codes, "auth_throttled"]);
        });

    private static HttpRequestMessage Chat(RedTeamClient client, AuthenticationHeaderValue? authorization, string query = "")
    {
        var request = client.PostJson(client.Settings.ChatPath + query, client.Settings.ChatBody("Hello"), authenticated: false);
        request.Headers.Authorization = authorization;
        return request;
    }

    private static HttpRequestMessage WithHeader(HttpRequestMessage request, string name, string value)
    {
        request.Headers.TryAddWithoutValidation(name, value);
        return request;
    }

    private static AuthenticationHeaderValue Bearer(string key) => new("Bearer", key);

    private static string PrefixOf(string key) =>
        ApiKeyFormat.TryParse(key, out string prefix, out string _) ? prefix : ApiKeyFormat.DefaultPrefix;

    /// <summary>The key with its secret replaced (same prefix and id), or with another prefix (same id and secret).</summary>
    private static string Forge(string key, bool secret)
    {
        if (!ApiKeyFormat.TryParse(key, out string prefix, out string id))
        {
            return ApiKeyFormat.Generate().Key;
        }

        var rest = key[(prefix.Length + 1 + id.Length + 1)..];
        if (!secret)
        {
            return (prefix == "sk" ? "pk" : "sk") + "_" + id + "_" + rest;
        }

        const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        string forged;
        do
        {
            forged = RandomNumberGenerator.GetString(Base62, rest.Length);
        }
        while (forged == rest);
        return prefix + "_" + id + "_" + forged;
    }
}
