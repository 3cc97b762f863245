using System.Text.Json;
using AiGuard.Configuration;
using AiGuard.Pipeline;
using AiGuard.Protocols;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Configuration.Json;
using Microsoft.Extensions.Configuration.Memory;

namespace AiGuard.Admin;

/// <summary>What a check of a proposed settings file found.</summary>
/// <param name="Errors">Exactly what a reload of this configuration would log and refuse it for; empty when it would be applied.</param>
public sealed record ConfigurationCheckResult(bool Valid, IReadOnlyList<string> Errors, IReadOnlyList<string> Warnings, string Placement);

/// <summary>
/// Checks a proposed settings file with the whole-configuration validation a reload runs
/// (<see cref="GatewayConfiguration.Check"/>, the code path of every reload), so a check and a
/// reload never disagree.
/// </summary>
/// <remarks>
/// Against a running gateway the file takes the place of the operator's settings file
/// (<c>--config</c> / <c>AIGUARD_CONFIG</c>) among the gateway's own configuration sources, or that
/// same place (after appsettings*.json, before environment variables and arguments) when the
/// gateway has none: what the gateway would see if the file were deployed and reloaded. Offline
/// (<c>aiguard config check --offline</c>) the file is checked alone.
/// </remarks>
public static partial class ConfigurationCheck
{
    /// <summary>The largest proposed file accepted.</summary>
    public const int MaxFileBytes = 4 * 1024 * 1024;

    /// <summary>Reads a proposed file; false with the parser's message when it is not a JSON object.</summary>
    public static bool TryParse(byte[] file, out IConfigurationProvider? provider, out string problem)
    {
        provider = null;
        if (file.Length > MaxFileBytes)
        {
            problem = $"The file is larger than {MaxFileBytes / (1024 * 1024)} MiB.";
            return false;
        }

        problem = string.Empty;
        try
        {
            // The same JSON reader the gateway loads settings files with (comments and trailing commas allowed).
            var source = new JsonStreamConfigurationSource { Stream = new MemoryStream(file, writable: false) };
            var candidate = new JsonStreamConfigurationProvider(source);
            candidate.Load(source.Stream);
            provider = Copy(candidate);
            return true;
        }
        catch (Exception e) when (e is FormatException or JsonException or InvalidOperationException)
        {
            problem = "The file is not a JSON settings file: " + Excerpt.Of(e.Message, 300);
            return false;
        }
    }

    /// <summary>The configuration a reload would read if <paramref name="proposed"/> were deployed as the operator's settings file.</summary>
    public static IConfigurationRoot Compose(IConfiguration running, IConfigurationProvider proposed, out string placement)
    {
        var providers = running is IConfigurationRoot root ? root.Providers.ToList() : [];
        var replaced = providers.FindIndex(p => p is JsonConfigurationProvider { Source: OperatorSettingsFile });
        var at = replaced >= 0 ? replaced : providers.FindLastIndex(p => p is JsonConfigurationProvider) + 1;
        placement = replaced >= 0
            ? "in place of the gateway's settings file (--config / AIGUARD_CONFIG), under its environment variables and arguments"
            : "after the gateway's appsettings*.json, under its environment variables and arguments";

        var copies = new List<IConfigurationProvider>(providers.Count + 1);
        for (var i = 0; i <= providers.Count; i++)
        {
            if (i == at)
            {
                copies.Add(proposed);
            }

            if (i < providers.Count && i != replaced)
            {
                // A frozen copy: the running gateway's providers are only read, never reloaded.
                copies.Add(Copy(providers[i]));
            }
        }

        return new ConfigurationRoot(copies);
    }

    /// <summary>Validates <paramref name="configuration"/> exactly as a reload does.</summary>
    /// <param name="configuration">The configuration as the gateway would read it with the proposal.</param>
    /// <param name="protocols">The gateway's protocol adapters.</param>
    /// <param name="stages">The gateway's stages.</param>
    /// <param name="placement">Where the proposal sits among the sources, for the report.</param>
    /// <param name="hideUnpinnedHashes">
    /// True for a check asked over the admin API: a file hash the proposal does not itself name is
    /// not shown (see <see cref="HideUnpinnedHashes"/>). False for the offline check, which runs
    /// with the operator's own rights on the operator's own files.
    /// </param>
    public static ConfigurationCheckResult Check(IConfiguration configuration, ProtocolRegistry protocols, IEnumerable<IGuardStage> stages, string placement, bool hideUnpinnedHashes = true)
    {
        List<string> errors;
        IReadOnlyList<string> warnings;
        try
        {
            errors = [.. GatewayConfiguration.Check(configuration, protocols, stages, out warnings)];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A safety net (model and reference files are read through ModelFile, whose failures
            // are ordinary errors): an answer, never a failed check, though it ends the check here.
            errors = [$"A file the configuration names could not be read: {Excerpt.Of(e.Message, 200)}"];
            warnings = [];
        }

        // The settings read only at start (telemetry): a proposal that would stop the next start is
        // refused too. Values that do not convert were reported by the schema check above.
        if (!errors.Any(e => e.StartsWith("AiGuard:Telemetry", StringComparison.Ordinal) || e.StartsWith("AiGuard:Admin:Enabled", StringComparison.Ordinal)))
        {
            try
            {
                errors.AddRange(Telemetry.TelemetryServiceCollectionExtensions.Validate(configuration));
            }
            catch (InvalidOperationException e)
            {
                errors.Add("AiGuard:Telemetry: " + Excerpt.Of(e.Message, 200));
            }
        }

        if (hideUnpinnedHashes)
        {
            HideUnpinnedHashes(configuration, errors);
        }

        return new ConfigurationCheckResult(errors.Count == 0, errors, warnings, placement);
    }

    /// <summary>
    /// A wrong pin's message names the file's real SHA-256 so an operator can update the pin; a
    /// check names it only for hashes the proposal itself mentions, so a proposed path cannot be
    /// used to learn the hash of an arbitrary file on the gateway's host.
    /// </summary>
    private static void HideUnpinnedHashes(IConfiguration configuration, List<string> errors)
    {
        var mentioned = configuration.AsEnumerable().Select(kv => kv.Value).OfType<string>().Where(v => v.Contains(' ', StringComparison.Ordinal) is false && v.Length >= 64)
            .ToHashSet(StringComparer.OrdinalIgnoreCase);
        for (var i = 0; i < errors.Count; i++)
        {
            errors[i] = Sha256Hex().Replace(errors[i], m => mentioned.Any(v => v.Contains(m.Value, StringComparison.OrdinalIgnoreCase)) ? m.Value : "(not shown)");
        }
    }

    [System.Text.RegularExpressions.GeneratedRegex("(?<![0-9a-fA-F])[0-9a-fA-F]{64}(?![0-9a-fA-F])")]
    private static partial System.Text.RegularExpressions.Regex Sha256Hex();

    /// <summary>A copy of what one provider holds, which loading again leaves as it is.</summary>
    private static MemoryConfigurationProvider Copy(IConfigurationProvider provider)
    {
        var copy = new MemoryConfigurationProvider(new MemoryConfigurationSource());
        foreach (var (key, value) in Flatten(provider))
        {
            copy.Set(key, value);
        }

        return copy;
    }

    /// <summary>Every key and value one provider holds.</summary>
    private static IEnumerable<KeyValuePair<string, string?>> Flatten(IConfigurationProvider provider)
    {
        var pending = new Stack<string?>();
        pending.Push(null);
        var seen = new HashSet<string>(StringComparer.OrdinalIgnoreCase);
        while (pending.Count > 0)
        {
            var parent = pending.Pop();
            foreach (var key in provider.GetChildKeys([], parent).Distinct(StringComparer.OrdinalIgnoreCase))
            {
                var path = parent is null ? key : parent + ConfigurationPath.KeyDelimiter + key;
                if (!seen.Add(path))
                {
                    continue;
                }

                if (provider.TryGet(path, out var value))
                {
                    yield return new(path, value);
                }

                pending.Push(path);
            }
        }
    }
}
