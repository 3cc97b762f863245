using AiGuard.Configuration;
using AiGuard.Identity;
using AiGuard.Pipeline;

namespace AiGuard.Admin;

/// <summary>Checks <c>AiGuard:Admin</c> as part of the whole-configuration validation (start, reload and <c>config check</c> alike).</summary>
internal static class AdminValidation
{
    public static void Validate(AiGuardOptions options, List<string> errors, List<string> warnings)
    {
        var admin = options.Admin;
        const string At = "AiGuard:Admin";
        if (admin.Enabled)
        {
            var urls = Urls(admin);
            if (urls.Length == 0)
            {
                errors.Add($"{At}:Urls must name at least one address, for example {AdminOptions.DefaultUrls}.");
            }

            foreach (var url in urls)
            {
                if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || uri.Scheme != Uri.UriSchemeHttp)
                {
                    errors.Add($"{At}:Urls: '{Excerpt.Of(url, 80)}' is not an http:// address (the admin listener speaks plain HTTP; keep it on loopback or a private network).");
                }
                else if (!IsLoopback(uri.Host))
                {
                    warnings.Add($"{At}:Urls: '{Excerpt.Of(url, 80)}' is reachable beyond this host; the admin API is protected by its keys only, so keep that address on a private network.");
                }
            }
        }

        try
        {
            ApiKeyFormat.ValidatePrefix(admin.KeyPrefix);
            if (string.Equals(admin.KeyPrefix, options.ApiKeys.Prefix, StringComparison.Ordinal))
            {
                errors.Add($"{At}:KeyPrefix must differ from AiGuard:ApiKeys:Prefix ('{options.ApiKeys.Prefix}'), so that an admin key is never taken for a model key.");
            }
        }
        catch (ArgumentException)
        {
            errors.Add($"{At}:KeyPrefix must be 1 to 16 letters or digits.");
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < admin.Keys.Count; i++)
        {
            var key = admin.Keys[i];
            var at = $"{At}:Keys:{i}";
            if (string.IsNullOrWhiteSpace(key.Id))
            {
                errors.Add($"{at}:Id is required.");
            }
            else if (!ids.Add(key.Id))
            {
                errors.Add($"{at}:Id '{Excerpt.Of(key.Id, 40)}' is used by another admin key.");
            }

            if (!ApiKeyFormat.TryDecodeHash(key.Hash, out _))
            {
                // Never echo the value: a pasted key instead of its hash would be a secret.
                errors.Add($"{at}:Hash must be 'sha256:' followed by 64 hex digits (use 'aiguard admin-key create').");
            }
        }
    }

    public static string[] Urls(AdminOptions admin) =>
        (admin.Urls ?? string.Empty).Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    private static bool IsLoopback(string host) =>
        host is "localhost" or "127.0.0.1" or "[::1]" or "::1"
        || (System.Net.IPAddress.TryParse(host.Trim('[', ']'), out var address) && System.Net.IPAddress.IsLoopback(address));
}
