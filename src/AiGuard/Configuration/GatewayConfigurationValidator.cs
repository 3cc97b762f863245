using AiGuard.Audit;
using AiGuard.Identity;
using AiGuard.Pipeline;
using AiGuard.Protocols;
using Yarp.ReverseProxy.Configuration;

namespace AiGuard.Configuration;

/// <summary>Validates the AiGuard section and YARP's routes and clusters as one whole, naming the exact setting of each problem.</summary>
public static class GatewayConfigurationValidator
{
    private static readonly string[] OtlpProtocols = ["grpc", "http/protobuf"];

    public static void Validate(
        AiGuardOptions options,
        IReadOnlyList<RouteConfig> routes,
        IReadOnlyList<ClusterConfig> clusters,
        ProtocolRegistry protocols,
        IReadOnlyCollection<string> stageNames,
        List<string> errors,
        List<string> warnings)
    {
        ValidateLimits(options.Limits, "AiGuard:Limits", errors);
        ValidateRateLimits(options.RateLimits, options.TokenBudgets, errors);
        ValidateRedis(options.Redis, errors);
        ValidateJwt(options.Jwt, errors);
        ValidatePolicies(options, protocols, stageNames, errors);
        ValidateRoutes(options, routes, clusters, errors, warnings);
        ValidateClusters(clusters, errors);
        ValidateUpstreams(options, clusters, errors);
        ValidateKeys(options.ApiKeys, errors);
        ValidateAudit(options.Audit, errors);
        ValidateTelemetry(options, errors);
        ValidateAnomaly(options, errors);
        Admin.AdminValidation.Validate(options, errors, warnings);
    }

    private static void ValidateAnomaly(AiGuardOptions options, List<string> errors)
    {
        var anomaly = options.Anomaly;
        if (!string.IsNullOrWhiteSpace(anomaly.Model.Path) && !File.Exists(Anomaly.AnomalyModelOptions.Resolve(anomaly.Model.Path)))
        {
            errors.Add($"AiGuard:Anomaly:Model:Path names '{anomaly.Model.Path}', which does not exist.");
        }

        if (anomaly.MaxClients < 1)
        {
            errors.Add("AiGuard:Anomaly:MaxClients must be at least 1.");
        }

        if (anomaly.IdleExpiry <= TimeSpan.Zero)
        {
            errors.Add("AiGuard:Anomaly:IdleExpiry must be a positive duration (hh:mm:ss).");
        }

        if (anomaly.MinRequests < 1)
        {
            errors.Add("AiGuard:Anomaly:MinRequests must be at least 1.");
        }

        if (anomaly.ConfirmingScores is < 1 or > Anomaly.RecentScores.MaxConfirming)
        {
            errors.Add($"AiGuard:Anomaly:ConfirmingScores must be between 1 and {Anomaly.RecentScores.MaxConfirming}.");
        }

        if (anomaly.ScoreEvery < 1 || anomaly.ScoreEveryRequestUntil < 1)
        {
            errors.Add("AiGuard:Anomaly:ScoreEvery and ScoreEveryRequestUntil must be at least 1.");
        }

        if (anomaly.MinScoreInterval < TimeSpan.Zero)
        {
            errors.Add("AiGuard:Anomaly:MinScoreInterval must not be negative (hh:mm:ss.fff).");
        }

        if (anomaly.BatchLinger < TimeSpan.Zero || anomaly.BatchLinger > Anomaly.AnomalyBatchScorer.MaxLinger)
        {
            errors.Add("AiGuard:Anomaly:BatchLinger must be between 00:00:00 and 00:00:01 (hh:mm:ss.fff).");
        }

        foreach (var (model, path) in anomaly.References)
        {
            try
            {
                Anomaly.TensorReference.Load(Anomaly.AnomalyModelOptions.Resolve(path));
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                errors.Add($"AiGuard:Anomaly:References:{model} names '{path}', which is not a readable reference file: {e.Message}");
            }
        }

        if (anomaly.Learning.RequestsPerClient < 1 || anomaly.Learning.MinClients < 1 || anomaly.Learning.MinRows < 2)
        {
            errors.Add("AiGuard:Anomaly:Learning: RequestsPerClient and MinClients must be at least 1, MinRows at least 2.");
        }

        foreach (var (name, policy) in anomaly.Policies)
        {
            var at = $"AiGuard:Anomaly:Policies:{name}";
            if (policy.Actions.Count == 0)
            {
                errors.Add($"{at}:Actions is empty: name at least one action (Observe for shadow mode).");
            }

            if (policy.HoldFor <= TimeSpan.Zero)
            {
                errors.Add($"{at}:HoldFor must be a positive duration (hh:mm:ss).");
            }

            for (var i = 0; i < policy.Actions.Count; i++)
            {
                var action = policy.Actions[i];
                var where = $"{at}:Actions:{i}";
                if (!Enum.IsDefined(action.Action))
                {
                    errors.Add($"{where}:Action must be one of: {string.Join(", ", Enum.GetNames<Anomaly.AnomalyAction>())}.");
                }

                if (double.IsNaN(action.Threshold) || action.Threshold <= 0 || action.Threshold > 1)
                {
                    errors.Add($"{where}:Threshold must be in (0, 1], the score at which the action starts.");
                }

                if (action.Action == Anomaly.AnomalyAction.Throttle && action.PerMinute < 1)
                {
                    errors.Add($"{where}:PerMinute must be at least 1.");
                }

                if (action.Action == Anomaly.AnomalyAction.Quarantine && action.Duration <= TimeSpan.Zero)
                {
                    errors.Add($"{where}:Duration must be a positive duration (hh:mm:ss).");
                }

                if (action.Hardening is { } hardening)
                {
                    if (hardening.Decimals is < 0 or > 15)
                    {
                        errors.Add($"{where}:Hardening:Decimals must be between 0 and 15.");
                    }

                    if (hardening.TopK is < 1)
                    {
                        errors.Add($"{where}:Hardening:TopK must be at least 1.");
                    }
                }
            }
        }

        foreach (var (name, policy) in options.Policies)
        {
            var parameters = policy.Parameters;
            if (parameters.MaxTokens is < 1 || parameters.MaxN is < 1)
            {
                errors.Add($"AiGuard:Policies:{name}:Parameters: MaxTokens and MaxN must be at least 1.");
            }

            if (parameters.MaxTopLogprobs is < 0 or > 20)
            {
                errors.Add($"AiGuard:Policies:{name}:Parameters:MaxTopLogprobs must be between 0 and 20.");
            }

            if (parameters.IsActive && !string.Equals(policy.Protocol, Protocols.ProtocolNames.OpenAi, StringComparison.Ordinal))
            {
                errors.Add($"AiGuard:Policies:{name}:Parameters applies to the {Protocols.ProtocolNames.OpenAi} protocol only; this policy's protocol is '{Excerpt.Of(policy.Protocol, 40)}'.");
            }

            var sensitive = policy.SensitiveData;
            foreach (var (section, types) in new[] { ("Actions", sensitive.Actions.Keys), ("ResponseActions", sensitive.ResponseActions.Keys) })
            {
                foreach (var type in types)
                {
                    if (!Enum.TryParse<Inspection.Sensitive.PiiType>(type, ignoreCase: false, out _))
                    {
                        errors.Add($"AiGuard:Policies:{name}:SensitiveData:{section}:{Excerpt.Of(type, 40)} is not an entity type; known: {string.Join(", ", Enum.GetNames<Inspection.Sensitive.PiiType>())}.");
                    }
                }
            }

            var regions = PhoneNumbers.PhoneNumberUtil.GetInstance().GetSupportedRegions();
            foreach (var region in sensitive.PhoneRegions)
            {
                if (!regions.Contains(region.ToUpperInvariant()))
                {
                    errors.Add($"AiGuard:Policies:{name}:SensitiveData:PhoneRegions names '{Excerpt.Of(region, 10)}', which is not a region code libphonenumber knows (ISO 3166, for example US, GB, DE).");
                }
            }

            if (sensitive.IsActive && !string.Equals(policy.Protocol, Protocols.ProtocolNames.OpenAi, StringComparison.Ordinal))
            {
                errors.Add($"AiGuard:Policies:{name}:SensitiveData applies to the {Protocols.ProtocolNames.OpenAi} protocol only; this policy's protocol is '{Excerpt.Of(policy.Protocol, 40)}'.");
            }

            var leak = policy.PromptLeak;
            if (leak.MaxOverlap is not (> 0 and <= 1))
            {
                errors.Add($"AiGuard:Policies:{name}:PromptLeak:MaxOverlap must be above 0 and at most 1.");
            }

            if (leak.Canaries.Any(c => c.Trim().Length < 8))
            {
                errors.Add($"AiGuard:Policies:{name}:PromptLeak:Canaries must each be at least 8 characters, so ordinary text cannot hold one by chance.");
            }

            if (leak.IsActive && !string.Equals(policy.Protocol, Protocols.ProtocolNames.OpenAi, StringComparison.Ordinal))
            {
                errors.Add($"AiGuard:Policies:{name}:PromptLeak applies to the {Protocols.ProtocolNames.OpenAi} protocol only; this policy's protocol is '{Excerpt.Of(policy.Protocol, 40)}'.");
            }

            ValidatePromptInjection(name, policy, errors);

            if (!string.IsNullOrEmpty(policy.Anomaly) && !anomaly.Policies.ContainsKey(policy.Anomaly))
            {
                errors.Add($"AiGuard:Policies:{name}:Anomaly names '{Excerpt.Of(policy.Anomaly, 60)}', which is not a policy under AiGuard:Anomaly:Policies ({Known(anomaly.Policies.Keys)}).");
            }
        }
    }

    private static void ValidatePromptInjection(string name, GuardPolicyOptions policy, List<string> errors)
    {
        var options = policy.PromptInjection;
        var at = $"AiGuard:Policies:{name}:PromptInjection";
        if (options.Threshold is { } threshold && (!float.IsFinite(threshold) || threshold <= 0 || threshold >= 1))
        {
            errors.Add($"{at}:Threshold must be between 0 and 1 (exclusive); unset it for the model's tuned threshold.");
        }

        if (options.ToolDefinitionThreshold is { } toolThreshold && (!float.IsFinite(toolThreshold) || toolThreshold <= 0 || toolThreshold >= 1))
        {
            errors.Add($"{at}:ToolDefinitionThreshold must be between 0 and 1 (exclusive); unset it for the tool-definition model's tuned threshold.");
        }

        foreach (var role in options.Roles)
        {
            if (!Inspection.Injection.PromptInjectionOptions.KnownRoles.Contains(role, StringComparer.Ordinal))
            {
                errors.Add($"{at}:Roles names '{Excerpt.Of(role, 40)}', which is not a message role; known: {string.Join(", ", Inspection.Injection.PromptInjectionOptions.KnownRoles)}.");
            }
        }

        if (!options.IsActive)
        {
            return;
        }

        if (!string.Equals(policy.Protocol, Protocols.ProtocolNames.OpenAi, StringComparison.Ordinal))
        {
            errors.Add($"{at} applies to the {Protocols.ProtocolNames.OpenAi} protocol only; this policy's protocol is '{Excerpt.Of(policy.Protocol, 40)}'.");
            return;
        }

        try
        {
            // Loaded here (once per file, then shared) so a missing or tampered model stops the configuration, not a request.
            Inspection.Injection.PromptInjectionPolicy.DetectorFor(options);
        }
        catch (Inspection.Injection.InjectionModelException e)
        {
            errors.Add($"{at}:Model: {e.Message}");
        }

        if (options.Roles.Contains(Inspection.Injection.PromptInjectionPolicy.ToolDefinitionRole, StringComparer.Ordinal))
        {
            try
            {
                Inspection.Injection.PromptInjectionPolicy.ToolDetectorFor(options);
            }
            catch (Inspection.Injection.InjectionModelException e)
            {
                errors.Add($"{at}:ToolDefinitionModel: {e.Message}");
            }
        }
    }

    private static void ValidateJwt(JwtOptions jwt, List<string> errors)
    {
        if (!jwt.Enabled)
        {
            return;
        }

        if (jwt.Audiences.Count == 0)
        {
            errors.Add("AiGuard:Jwt:Audiences must name at least one accepted audience: a token for another service must not be accepted here.");
        }

        if (!string.IsNullOrWhiteSpace(jwt.Authority))
        {
            if (!Uri.TryCreate(jwt.Authority, UriKind.Absolute, out var authority) || authority.Scheme is not ("https" or "http"))
            {
                errors.Add($"AiGuard:Jwt:Authority '{Excerpt.Of(jwt.Authority, 100)}' is not an absolute http(s) URL.");
            }
            else if (authority.Scheme == "http" && jwt.RequireHttpsMetadata)
            {
                errors.Add("AiGuard:Jwt:Authority uses http: set AiGuard:Jwt:RequireHttpsMetadata to false only for a provider on loopback.");
            }
        }
        else if (jwt.Issuers.Count == 0)
        {
            errors.Add("AiGuard:Jwt:Issuers must name the accepted issuers when no Authority is configured.");
        }

        for (var i = 0; i < jwt.SigningKeys.Count; i++)
        {
            var key = jwt.SigningKeys[i];
            var at = $"AiGuard:Jwt:SigningKeys:{i}";
            if (string.IsNullOrEmpty(key.PublicKeyPem) == string.IsNullOrEmpty(key.Secret))
            {
                errors.Add($"{at}: set exactly one of PublicKeyPem and Secret.");
            }
            else if (key.Secret is { Length: > 0 } secret)
            {
                var bytes = new byte[secret.Length];
                if (!Convert.TryFromBase64String(secret, bytes, out var length) || length < 32)
                {
                    errors.Add($"{at}:Secret must be base64 of at least 32 bytes.");
                }
            }
            else if (JwtAuthenticator.PublicKey(key.PublicKeyPem!) is null)
            {
                errors.Add($"{at}:PublicKeyPem is not a PEM RSA or EC public key.");
            }
        }
    }

    private static void ValidateRedis(Limits.RedisOptions redis, List<string> errors)
    {
        if (redis.TimeoutMilliseconds is < 1 or > 60_000)
        {
            errors.Add("AiGuard:Redis:TimeoutMilliseconds must be between 1 and 60000.");
        }

        if (!string.IsNullOrWhiteSpace(redis.Configuration))
        {
            try
            {
                StackExchange.Redis.ConfigurationOptions.Parse(redis.Configuration);
            }
            catch (ArgumentException ex)
            {
                // The message names the option, never the password.
                errors.Add($"AiGuard:Redis:Configuration is not a valid StackExchange.Redis configuration: {ex.Message}");
            }
        }
    }

    private static void ValidateRateLimits(Limits.RateLimitsOptions limits, Limits.TokenBudgetsOptions tokenBudgets, List<string> errors)
    {
        foreach (var (name, limit) in limits.Policies)
        {
            var at = $"AiGuard:RateLimits:Policies:{name}";
            if (name.Length == 0 || name.Length > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.'))
            {
                errors.Add($"{at}: a limit name is 1 to 64 letters, digits, '-', '_' or '.' (it is sent in the RateLimit headers).");
            }

            if (limit.PermitLimit < 1)
            {
                errors.Add($"{at}:PermitLimit must be at least 1.");
            }

            if (limit.LeaseSize < 1 || (limit.LeaseSize > 1 && limit.Kind != Limits.RateLimitKind.FixedWindow) || (limit.PermitLimit > 0 && limit.LeaseSize > limit.PermitLimit))
            {
                errors.Add($"{at}:LeaseSize must be between 1 and PermitLimit, and above 1 only for a FixedWindow limit.");
            }

            if (limit.LeaseSize < 1 || (limit.LeaseSize > 1 && limit.Kind != Limits.RateLimitKind.FixedWindow) || (limit.PermitLimit > 0 && limit.LeaseSize > limit.PermitLimit))
            {
                errors.Add($"{at}:LeaseSize must be between 1 and PermitLimit, and above 1 only for a FixedWindow limit.");
            }

            switch (limit.Kind)
            {
                case Limits.RateLimitKind.FixedWindow or Limits.RateLimitKind.SlidingWindow when limit.Window <= TimeSpan.Zero:
                    errors.Add($"{at}:Window must be a positive duration (hh:mm:ss) for a {limit.Kind} limit.");
                    break;
                case Limits.RateLimitKind.SlidingWindow when limit.SegmentsPerWindow is < 2 or > 1000:
                    errors.Add($"{at}:SegmentsPerWindow must be between 2 and 1000.");
                    break;
                case Limits.RateLimitKind.TokenBucket when limit.TokensPerPeriod < 1 || limit.ReplenishmentPeriod <= TimeSpan.Zero:
                    errors.Add($"{at}: a TokenBucket limit needs TokensPerPeriod of at least 1 and a positive ReplenishmentPeriod (hh:mm:ss).");
                    break;
            }
        }

        foreach (var (name, budget) in tokenBudgets.Policies)
        {
            var at = $"AiGuard:TokenBudgets:Policies:{name}";
            if (budget.PerMinute < 0 || budget.PerDay < 0 || (budget.PerMinute == 0 && budget.PerDay == 0))
            {
                errors.Add($"{at}: set PerMinute, PerDay or both to a positive number of tokens (0 leaves a window unlimited).");
            }

            if (budget.DefaultMaxTokens < 1)
            {
                errors.Add($"{at}:DefaultMaxTokens must be at least 1.");
            }

            var smallest = budget.PerMinute > 0 && budget.PerDay > 0 ? Math.Min(budget.PerMinute, budget.PerDay) : Math.Max(budget.PerMinute, budget.PerDay);
            if (budget.LeaseTokens < 0 || budget.LeaseTokens > smallest)
            {
                errors.Add($"{at}:LeaseTokens must be between 0 and the smallest of PerMinute and PerDay ({smallest}).");
            }
        }

        var auth = limits.Authentication;
        foreach (var (setting, limit) in new[] { ("FailuresPerAddress", auth.FailuresPerAddress), ("FailuresPerKeyId", auth.FailuresPerKeyId), ("UnauthenticatedPerAddress", auth.UnauthenticatedPerAddress) })
        {
            if (limit.PermitLimit < 0)
            {
                errors.Add($"AiGuard:RateLimits:Authentication:{setting}:PermitLimit must be 0 (off) or more.");
            }

            if (limit.PermitLimit > 0 && limit.Window <= TimeSpan.Zero)
            {
                errors.Add($"AiGuard:RateLimits:Authentication:{setting}:Window must be a positive duration (hh:mm:ss).");
            }
        }
    }

    private static void ValidatePolicies(AiGuardOptions options, ProtocolRegistry protocols, IReadOnlyCollection<string> stageNames, List<string> errors)
    {
        foreach (var (name, policy) in options.Policies)
        {
            var at = $"AiGuard:Policies:{name}";
            if (!protocols.TryGet(policy.Protocol, out _))
            {
                errors.Add($"{at}:Protocol '{Excerpt.Of(policy.Protocol, 40)}' is not one of: {string.Join(", ", protocols.Names)}.");
            }

            ValidateLimits(policy.Limits, at + ":Limits", errors);
            foreach (var budget in policy.TokenBudgets)
            {
                if (!options.TokenBudgets.Policies.ContainsKey(budget))
                {
                    errors.Add($"{at}:TokenBudgets names '{Excerpt.Of(budget, 60)}', which is not a budget under AiGuard:TokenBudgets:Policies ({Known(options.TokenBudgets.Policies.Keys)}).");
                }
            }

            if (policy.TokenBudgets.Count > 0 && policy.Protocol != ProtocolNames.OpenAi)
            {
                errors.Add($"{at}:TokenBudgets apply to LLM routes only: the policy's Protocol must be {ProtocolNames.OpenAi}.");
            }

            if (!Limits.PromptTokenCounter.Encodings.Contains(policy.TokenEncoding))
            {
                errors.Add($"{at}:TokenEncoding '{Excerpt.Of(policy.TokenEncoding, 40)}' is not one of: {string.Join(", ", Limits.PromptTokenCounter.Encodings)}.");
            }

            foreach (var limit in policy.RateLimits)
            {
                if (!options.RateLimits.Policies.ContainsKey(limit))
                {
                    errors.Add($"{at}:RateLimits names '{Excerpt.Of(limit, 60)}', which is not a limit under AiGuard:RateLimits:Policies ({Known(options.RateLimits.Policies.Keys)}).");
                }
            }
            var output = policy.Output;
            if (output.Hardening.Decimals is < 0 or > 15)
            {
                errors.Add($"{at}:Output:Hardening:Decimals must be between 0 and 15.");
            }

            if (output.Hardening.TopK is < 1)
            {
                errors.Add($"{at}:Output:Hardening:TopK must be at least 1.");
            }

            if (output.MaxResponseBytes is < 1 or > RequestLimitsOptions.LargestMaxBodyBytes)
            {
                errors.Add($"{at}:Output:MaxResponseBytes must be between 1 and {RequestLimitsOptions.LargestMaxBodyBytes} (1 GiB): answers are inspected in memory.");
            }

            if (output.RemoveHeaders.Any(string.IsNullOrWhiteSpace))
            {
                errors.Add($"{at}:Output:RemoveHeaders must not contain an empty header name.");
            }

            foreach (var stage in policy.FailOpen)
            {
                if (!stageNames.Contains(stage))
                {
                    errors.Add($"{at}:FailOpen names '{Excerpt.Of(stage, 40)}', which is not a stage; the stages are: {string.Join(", ", stageNames)}.");
                }
            }
        }
    }

    private static void ValidateRoutes(AiGuardOptions options, IReadOnlyList<RouteConfig> routes, IReadOnlyList<ClusterConfig> clusters, List<string> errors, List<string> warnings)
    {
        var clusterIds = clusters.Select(c => c.ClusterId).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var usedPolicies = new HashSet<string>(StringComparer.Ordinal);
        foreach (var route in routes)
        {
            var at = $"ReverseProxy:Routes:{route.RouteId}";
            if (route.Metadata?.TryGetValue(AiGuardOptions.PolicyMetadataKey, out var policyName) != true || string.IsNullOrWhiteSpace(policyName))
            {
                errors.Add($"{at} has no AiGuard policy: add \"Metadata\": {{ \"{AiGuardOptions.PolicyMetadataKey}\": \"<name>\" }} naming one of AiGuard:Policies ({Known(options.Policies.Keys)}).");
            }
            else if (!options.Policies.ContainsKey(policyName))
            {
                errors.Add($"{at}:Metadata:{AiGuardOptions.PolicyMetadataKey} names the policy '{Excerpt.Of(policyName, 40)}', which is not under AiGuard:Policies ({Known(options.Policies.Keys)}).");
            }
            else
            {
                usedPolicies.Add(policyName);
            }

            if (string.IsNullOrEmpty(route.ClusterId))
            {
                errors.Add($"{at}:ClusterId is required: AiGuard only forwards to a cluster.");
            }
            else if (!clusterIds.Contains(route.ClusterId))
            {
                errors.Add($"{at}:ClusterId names the cluster '{Excerpt.Of(route.ClusterId, 40)}', which is not under ReverseProxy:Clusters ({Known(clusterIds)}).");
            }

            Unsupported(route.AuthorizationPolicy, $"{at}:AuthorizationPolicy", "AiGuard authenticates and authorizes every route itself (API keys, RequiredScopes, AllowedRoutes)", errors);
            Unsupported(route.CorsPolicy, $"{at}:CorsPolicy", "model APIs are called by servers, not browsers", errors);
            Unsupported(route.RateLimiterPolicy, $"{at}:RateLimiterPolicy", "AiGuard's own limits are not available yet", errors);
            Unsupported(route.OutputCachePolicy, $"{at}:OutputCachePolicy", "answers to one client must never be served to another", errors);
            Unsupported(route.TimeoutPolicy, $"{at}:TimeoutPolicy", "use the cluster's HttpRequest:ActivityTimeout", errors);
        }

        foreach (var name in options.Policies.Keys.Where(n => !usedPolicies.Contains(n)))
        {
            warnings.Add($"AiGuard:Policies:{name} is not used by any route.");
        }
    }

    private static void ValidateClusters(IReadOnlyList<ClusterConfig> clusters, List<string> errors)
    {
        foreach (var cluster in clusters)
        {
            foreach (var (id, destination) in cluster.Destinations ?? new Dictionary<string, DestinationConfig>())
            {
                var at = $"ReverseProxy:Clusters:{cluster.ClusterId}:Destinations:{id}:Address";
                if (!Uri.TryCreate(destination.Address, UriKind.Absolute, out var address) || address.Scheme is not ("http" or "https") || string.IsNullOrEmpty(address.Host))
                {
                    errors.Add($"{at} '{Excerpt.Of(destination.Address ?? string.Empty, 80)}' is not an absolute http:// or https:// URL.");
                }
            }
        }
    }

    private static void ValidateUpstreams(AiGuardOptions options, IReadOnlyList<ClusterConfig> clusters, List<string> errors)
    {
        var clusterIds = clusters.Select(c => c.ClusterId).ToHashSet(StringComparer.OrdinalIgnoreCase);
        foreach (var (clusterId, upstream) in options.Upstreams)
        {
            var at = $"AiGuard:Upstreams:{clusterId}";
            if (!clusterIds.Contains(clusterId))
            {
                errors.Add($"{at} names no cluster under ReverseProxy:Clusters ({Known(clusterIds)}).");
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

        if (string.IsNullOrWhiteSpace(keys.HeaderName))
        {
            errors.Add("AiGuard:ApiKeys:HeaderName must not be empty.");
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
                errors.Add($"{at}:Id '{Excerpt.Of(key.Id, 40)}' is used by another key.");
            }

            if (!ApiKeyFormat.TryDecodeHash(key.Hash, out _))
            {
                // Never echo the value: a pasted key instead of its hash would be a secret.
                errors.Add($"{at}:Hash must be 'sha256:' followed by 64 hex digits (use 'aiguard keys create').");
            }
        }
    }

    private static void ValidateAudit(AuditOptions audit, List<string> errors)
    {
        if (audit.QueueCapacity < 1)
        {
            errors.Add("AiGuard:Audit:QueueCapacity must be at least 1.");
        }

        if (audit.ConsoleFormat is not (AuditConsoleFormats.Json or AuditConsoleFormats.Text))
        {
            errors.Add($"AiGuard:Audit:ConsoleFormat must be '{AuditConsoleFormats.Json}' or '{AuditConsoleFormats.Text}'.");
        }
    }

    private static void ValidateTelemetry(AiGuardOptions options, List<string> errors)
    {
        var telemetry = options.Telemetry;
        if (telemetry.OtlpEndpoint is { Length: > 0 } endpoint && !Uri.TryCreate(endpoint, UriKind.Absolute, out _))
        {
            errors.Add($"AiGuard:Telemetry:OtlpEndpoint '{Excerpt.Of(endpoint, 80)}' is not an absolute URL.");
        }

        if (telemetry.OtlpProtocol is { Length: > 0 } protocol && !OtlpProtocols.Contains(protocol))
        {
            errors.Add($"AiGuard:Telemetry:OtlpProtocol must be one of: {string.Join(", ", OtlpProtocols)}.");
        }
    }

    private static void ValidateLimits(RequestLimitsOptions limits, string at, List<string> errors)
    {
        if (limits.MaxBodyBytes is < 1 or > RequestLimitsOptions.LargestMaxBodyBytes)
        {
            errors.Add($"{at}:MaxBodyBytes must be between 1 and {RequestLimitsOptions.LargestMaxBodyBytes} (1 GiB): bodies are inspected in memory.");
        }

        if (limits.MaxJsonDepth is < 1 or > 1000)
        {
            errors.Add($"{at}:MaxJsonDepth must be between 1 and 1000.");
        }

        if (limits.MaxJsonElements is < 1)
        {
            errors.Add($"{at}:MaxJsonElements must be positive.");
        }

        if (limits.AllowedContentTypes is { } types && (types.Count == 0 || types.Any(string.IsNullOrWhiteSpace)))
        {
            errors.Add($"{at}:AllowedContentTypes must name at least one media type, and no empty one.");
        }
    }

    private static void Unsupported(string? value, string at, string reason, List<string> errors)
    {
        if (!string.IsNullOrEmpty(value))
        {
            errors.Add($"{at} is not supported: {reason}.");
        }
    }

    private static string Known(IEnumerable<string> names)
    {
        var list = names.ToList();
        return list.Count == 0 ? "there are none" : "known: " + string.Join(", ", list);
    }
}
