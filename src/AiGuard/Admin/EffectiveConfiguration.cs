using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AiGuard.Identity;
using AiGuard.Inspection.Sensitive;
using Microsoft.Extensions.Configuration;

namespace AiGuard.Admin;

/// <summary>
/// The configuration in force, as JSON, with every secret replaced by <see cref="Mask"/>: key
/// hashes, upstream credentials, every configured header value and the values of YARP's header and query transforms, Redis passwords, JWT signing keys, certificate
/// passwords, canaries and system prompts, credentials inside URLs, and any value the gateway's
/// own secret detector recognises.
/// </summary>
public static partial class EffectiveConfiguration
{
    public const string Mask = "***";

    /// <summary>The top-level sections shown; the rest of the process's configuration (environment, paths) is not the gateway's.</summary>
    public static readonly string[] Sections = ["AiGuard", "ReverseProxy", "Serilog", "Kestrel", "Urls"];

    private static readonly SecretDetector Detector = new();

    /// <summary>Builds the masked view of <paramref name="configuration"/>.</summary>
    public static JsonObject Render(IConfiguration configuration)
    {
        var root = new JsonObject();
        foreach (var name in Sections)
        {
            var section = configuration.GetSection(name);
            if (section.Value is { } value)
            {
                root[name] = MaskValue(name, value);
            }
            else if (section.GetChildren().Any())
            {
                root[name] = Render(section);
            }
        }

        return root;
    }

    private static JsonNode Render(IConfigurationSection section)
    {
        var children = section.GetChildren().ToList();
        JsonNode node;
        if (children.Count > 0 && children.All(c => int.TryParse(c.Key, out _)))
        {
            var array = new JsonArray();
            foreach (var child in children.OrderBy(c => int.Parse(c.Key, System.Globalization.CultureInfo.InvariantCulture)))
            {
                array.Add(child.Value is { } value && !child.GetChildren().Any() ? MaskValue(child.Path, value) : Render(child));
            }

            node = array;
        }
        else
        {
            var obj = new JsonObject();
            foreach (var child in children)
            {
                obj[child.Key] = child.Value is { } value && !child.GetChildren().Any() ? MaskValue(child.Path, value) : Render(child);
            }

            node = obj;
        }

        return node;
    }

    /// <summary>The value to show for the setting at <paramref name="path"/>.</summary>
    public static string? MaskValue(string path, string value)
    {
        if (value.Length == 0)
        {
            return value;
        }

        if (IsSecretPath(path))
        {
            return Mask;
        }

        // Passwords inside connection strings (Redis: "host:6379,password=..."), credentials inside URLs.
        var masked = PasswordPair().Replace(value, m => m.Groups["name"].Value + "=" + Mask);
        masked = UrlCredentials().Replace(masked, m => m.Groups["scheme"].Value + Mask + "@");
        if ((ApiKeyFormat.TryParse(masked, out string _, out string _) && masked.Length >= ApiKeyFormat.SecretLength) || masked.StartsWith(ApiKeyFormat.HashScheme, StringComparison.OrdinalIgnoreCase))
        {
            return Mask;
        }

        try
        {
            var found = Detector.Find(masked);
            for (var i = found.Count - 1; i >= 0; i--)
            {
                masked = string.Concat(masked.AsSpan(0, found[i].Start), Mask, masked.AsSpan(found[i].Start + found[i].Length));
            }
        }
        catch (Exception e) when (e is SecretTextTooDenseException or RegexMatchTimeoutException)
        {
            return Mask;
        }

        return masked;
    }

    /// <summary>Settings whose whole value is a secret, by name.</summary>
    public static bool IsSecretPath(string path)
    {
        var segments = path.Split(':');
        var leaf = segments[^1];
        if (int.TryParse(leaf, out _) && segments.Length > 1)
        {
            leaf = segments[^2];
        }

        for (var i = 0; i + 1 < segments.Length; i++)
        {
            // Every header value configured anywhere may carry a credential: an upstream's extra
            // headers (api-key, x-goog-api-key), a log sink's Authorization header.
            if (segments[i].Equals("Headers", StringComparison.OrdinalIgnoreCase)
                && !(i > 0 && segments[i - 1].Equals("Match", StringComparison.OrdinalIgnoreCase)))
            {
                // (A route's Match:Headers are what it matches on, not what it sends: shown.)
                return true;
            }

            // YARP transforms that set or append a request header or query value: the usual way to
            // give the model server its key ({"RequestHeader": "api-key", "Set": "..."}).
            if (segments[i].Equals("Transforms", StringComparison.OrdinalIgnoreCase)
                && (leaf.Equals("Set", StringComparison.OrdinalIgnoreCase) || leaf.Equals("Append", StringComparison.OrdinalIgnoreCase)))
            {
                return true;
            }
        }

        return SecretName().IsMatch(leaf);
    }

    [GeneratedRegex(@"^(?:.*(?:password|passwd|pwd|secret|token|credential|hash|privatekey|signingkey|connectionstring|apikey|api[-_]key|accesskey|pem)|key|keys|hmackey|salt|canar(?:y|ies)|systemprompts?)$", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SecretName();

    [GeneratedRegex(@"(?<name>password|pwd|passwd|secret|token)\s*=\s*[^,;]*", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture)]
    private static partial Regex PasswordPair();

    [GeneratedRegex(@"(?<scheme>[a-z][a-z0-9+.-]*://)[^/@\s]+@", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture)]
    private static partial Regex UrlCredentials();
}
