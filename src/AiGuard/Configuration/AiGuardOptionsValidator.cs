using AiGuard.Identity;
using AiGuard.Protocols;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace AiGuard.Configuration;

/// <summary>Validates the <c>AiGuard</c> section as a whole and names the exact setting that is wrong.</summary>
public sealed class AiGuardOptionsValidator : IValidateOptions<AiGuardOptions>
{
    private readonly ProtocolRegistry _protocols;
    private readonly IConfiguration _configuration;

    public AiGuardOptionsValidator(ProtocolRegistry protocols, IConfiguration configuration)
    {
        _protocols = protocols;
        _configuration = configuration;
    }

    public ValidateOptionsResult Validate(string? name, AiGuardOptions options)
    {
        var errors = new List<string>();
        ValidateLimits(options.Limits, "AiGuard:Limits", errors);
        ValidateRoutes(options, errors);
        ValidateUpstreams(options, errors);
        ValidateKeys(options.ApiKeys, errors);
        if (options.Audit.QueueCapacity < 1)
        {
            errors.Add("AiGuard:Audit:QueueCapacity must be at least 1.");
        }

        return errors.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(errors);
    }

    private void ValidateRoutes(AiGuardOptions options, List<string> errors)
    {
        var yarpRoutes = _configuration.GetSection("ReverseProxy:Routes").GetChildren().Select(c => c.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var (routeId, route) in options.Routes)
        {
            var at = $"AiGuard:Routes:{routeId}";
            if (!_protocols.TryGet(route.Protocol, out _))
            {
                errors.Add($"{at}:Protocol '{route.Protocol}' is not one of: {string.Join(", ", _protocols.Names)}.");
            }

            if (!yarpRoutes.Contains(routeId))
            {
                errors.Add($"{at} names no route under ReverseProxy:Routes.");
            }

            if (route.PathPrefix is { Length: > 0 } prefix && !prefix.StartsWith('/'))
            {
                errors.Add($"{at}:PathPrefix must start with '/'.");
            }

            ValidateLimits(route.Limits, at + ":Limits", errors);
        }

        foreach (var routeId in yarpRoutes)
        {
            if (!options.Routes.ContainsKey(routeId))
            {
                errors.Add($"ReverseProxy:Routes:{routeId} has no policy: add AiGuard:Routes:{routeId} with its Protocol.");
            }
        }
    }

    private void ValidateUpstreams(AiGuardOptions options, List<string> errors)
    {
        var clusters = _configuration.GetSection("ReverseProxy:Clusters").GetChildren().Select(c => c.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var (clusterId, upstream) in options.Upstreams)
        {
            var at = $"AiGuard:Upstreams:{clusterId}";
            if (!clusters.Contains(clusterId))
            {
                errors.Add($"{at} names no cluster under ReverseProxy:Clusters.");
            }

            if (string.IsNullOrWhiteSpace(upstream.CredentialHeader))
            {
                errors.Add($"{at}:CredentialHeader must not be empty.");
            }

            if (upstream.CredentialEnvironmentVariable is { Length: > 0 } variable
                && string.IsNullOrEmpty(Environment.GetEnvironmentVariable(variable)))
            {
                errors.Add($"{at}:CredentialEnvironmentVariable names '{variable}', which is not set.");
            }
        }
    }

    private static void ValidateKeys(ApiKeyOptions keys, List<string> errors)
    {
        try
        {
            ApiKeyFormat.ValidatePrefix(keys.Prefix);
        }
        catch (ArgumentException)
        {
            errors.Add("AiGuard:ApiKeys:Prefix must be 1 to 16 letters or digits.");
        }

        var ids = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; i < keys.Keys.Count; i++)
        {
            var key = keys.Keys[i];
            var at = $"AiGuard:ApiKeys:Keys:{i}";
            if (string.IsNullOrWhiteSpace(key.Id))
            {
                errors.Add($"{at}:Id is required.");
            }
            else if (!ids.Add(key.Id))
            {
                errors.Add($"{at}:Id '{key.Id}' is used by another key.");
            }

            if (!ApiKeyFormat.TryDecodeHash(key.Hash, out _))
            {
                // Never echo the value: a pasted key instead of its hash would be a secret.
                errors.Add($"{at}:Hash must be 'sha256:' followed by 64 hex digits (use 'aiguard keys create').");
            }
        }
    }

    private static void ValidateLimits(RequestLimitsOptions limits, string at, List<string> errors)
    {
        if (limits.MaxBodyBytes is < 1)
        {
            errors.Add($"{at}:MaxBodyBytes must be positive.");
        }

        if (limits.MaxJsonDepth is < 1 or > 1000)
        {
            errors.Add($"{at}:MaxJsonDepth must be between 1 and 1000.");
        }

        if (limits.MaxJsonElements is < 1)
        {
            errors.Add($"{at}:MaxJsonElements must be positive.");
        }

        if (limits.AllowedContentTypes is { Count: 0 })
        {
            errors.Add($"{at}:AllowedContentTypes must name at least one media type.");
        }
    }
}
