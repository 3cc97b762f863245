using AiGuard.Inspection.Output;
using AiGuard.Pipeline;
using AiGuard.Protocols;
using Microsoft.Extensions.Configuration;

namespace AiGuard.Configuration;

/// <summary>The resolved AiGuard policy of one YARP route, built once per configuration.</summary>
/// <remarks>
/// Everything a request needs from configuration is here, already resolved (defaults applied,
/// adapter looked up, the stages that apply picked and ordered), so a request reads one object.
/// </remarks>
public sealed class RoutePolicy
{
    internal RoutePolicy(string routeId, string policyName, IProtocolAdapter adapter, GuardPolicyOptions options, RequestLimitsOptions defaults, string pathPrefix, IConfigurationSection settings, Anomaly.AnomalyPolicy? anomaly = null, bool checksQuarantine = false)
    {
        Anomaly = anomaly;
        ChecksQuarantine = checksQuarantine;
        RouteId = routeId;
        PolicyName = policyName;
        Adapter = adapter;
        RequiredScopes = [.. options.RequiredScopes];
        PathPrefix = pathPrefix;
        Settings = settings;
        var limits = options.Limits;
        MaxBodyBytes = limits.MaxBodyBytes ?? defaults.MaxBodyBytes ?? RequestLimitsOptions.DefaultMaxBodyBytes;
        MaxJsonDepth = limits.MaxJsonDepth ?? defaults.MaxJsonDepth ?? RequestLimitsOptions.DefaultMaxJsonDepth;
        MaxJsonElements = limits.MaxJsonElements ?? defaults.MaxJsonElements ?? RequestLimitsOptions.DefaultMaxJsonElements;
        AllowedContentTypes = [.. limits.AllowedContentTypes ?? defaults.AllowedContentTypes ?? ["application/json"]];
        var output = options.Output;
        RemovedResponseHeaders = [.. (output.RemoveServerHeaders ? OutputOptions.DefaultRemovedHeaders : []).Concat(output.RemoveHeaders).Distinct(StringComparer.OrdinalIgnoreCase)];
        var hardening = new OutputHardening(output.Hardening.Decimals, output.Hardening.TopK, output.Hardening.LabelOnly, [.. output.Hardening.Outputs]);
        Hardening = hardening.IsActive ? hardening : null;
        HardeningOnDemand = output.Hardening.OnDemand || anomaly?.Hardens == true;
        MaxResponseBytes = output.MaxResponseBytes ?? OutputDefaults.MaxResponseBytes;
        RateLimits = [.. options.RateLimits.Distinct(StringComparer.Ordinal)];
        TokenBudgets = [.. options.TokenBudgets.Distinct(StringComparer.Ordinal)];
        TokenEncoding = options.TokenEncoding;
        Parameters = options.Parameters.IsActive && adapter.Name == ProtocolNames.OpenAi ? options.Parameters : null;
        SensitiveData = options.SensitiveData.IsActive && adapter.Name == ProtocolNames.OpenAi ? new Inspection.Sensitive.SensitiveDataPolicy(options.SensitiveData) : null;
        PromptLeak = options.PromptLeak.IsActive && adapter.Name == ProtocolNames.OpenAi ? new Inspection.Output.PromptLeakPolicy(options.PromptLeak) : null;
        FailOpenStages = new HashSet<string>(options.FailOpen, StringComparer.Ordinal);
        PromptInjection = options.PromptInjection.IsActive && adapter.Name == ProtocolNames.OpenAi ? new Inspection.Injection.PromptInjectionPolicy(options.PromptInjection) : null;
    }

    /// <summary>The prompt-injection policy of an OpenAI route; null when off.</summary>
    public Inspection.Injection.PromptInjectionPolicy? PromptInjection { get; }

    public string RouteId { get; }

    /// <summary>The generation-parameter policy of an OpenAI route; null when it changes nothing.</summary>
    public Inspection.Input.ParameterPolicyOptions? Parameters { get; }

    /// <summary>The sensitive-data policy of an OpenAI route's prompts and answers; null when it allows everything.</summary>
    public Inspection.Sensitive.SensitiveDataPolicy? SensitiveData { get; }

    /// <summary>Canaries and system prompts an OpenAI route's answers must not repeat; null when none.</summary>
    public Inspection.Output.PromptLeakPolicy? PromptLeak { get; }

    /// <summary>True when a request stage may rewrite the body (the client's bytes are then kept).</summary>
    public bool RewritesRequests => Parameters is not null || SensitiveData?.InspectsPrompts == true;

    /// <summary>The anomaly policy watching this route's clients; null when the engine is off here.</summary>
    public Anomaly.AnomalyPolicy? Anomaly { get; }

    /// <summary>Whether quarantined clients are refused here (on every route once any policy can quarantine).</summary>
    public bool ChecksQuarantine { get; }

    /// <summary>The name of the policy under <c>AiGuard:Policies</c>.</summary>
    public string PolicyName { get; }

    public IProtocolAdapter Adapter { get; }

    public string Protocol => Adapter.Name;

    public string[] RequiredScopes { get; }

    /// <summary>The prefix YARP removes before forwarding (<c>PathRemovePrefix</c>), which the protocol paths do not include.</summary>
    public string PathPrefix { get; }

    public long MaxBodyBytes { get; }

    public int MaxJsonDepth { get; }

    public int MaxJsonElements { get; }

    public string[] AllowedContentTypes { get; }

    public string[] RemovedResponseHeaders { get; }

    /// <summary>Hardening the policy applies to every response; null for none.</summary>
    public OutputHardening? Hardening { get; }

    /// <summary>Whether responses are parsed so a stage can switch hardening on per client.</summary>
    public bool HardeningOnDemand { get; }

    public long MaxResponseBytes { get; }

    public IReadOnlySet<string> FailOpenStages { get; }

    /// <summary>Names of the rate limits that apply, in the order they are counted.</summary>
    public string[] RateLimits { get; }

    /// <summary>Names of the token budgets that apply.</summary>
    public string[] TokenBudgets { get; }

    /// <summary>The encoding prompts are counted with.</summary>
    public string TokenEncoding { get; }

    /// <summary>The policy's configuration section, for stages with settings of their own.</summary>
    public IConfigurationSection Settings { get; }

    // Arrays, not interfaces: the request path walks them without allocating an enumerator.

    /// <summary>The stages of the request phase, in order.</summary>
    public IGuardStage[] RequestStages { get; private set; } = [];

    /// <summary>The stages that see the response status and headers, in order.</summary>
    public IGuardStage[] ResponseHeaderStages { get; private set; } = [];

    /// <summary>The stages that see parsed response bodies, in order; when empty, responses are not parsed at all.</summary>
    public IGuardStage[] ResponseBodyStages { get; private set; } = [];

    public bool HasResponseStages { get; private set; }

    internal void UseStages(IEnumerable<IGuardStage> ordered)
    {
        var applying = ordered.Where(s => s.AppliesTo(this)).Select(s => (Stage: s, Phases: s.PhasesOn(this))).ToArray();
        RequestStages = [.. applying.Where(s => s.Phases.HasFlag(StagePhases.Request)).Select(s => s.Stage)];
        ResponseHeaderStages = [.. applying.Where(s => s.Phases.HasFlag(StagePhases.ResponseHeaders)).Select(s => s.Stage)];
        ResponseBodyStages = [.. applying.Where(s => s.Phases.HasFlag(StagePhases.ResponseBody)).Select(s => s.Stage)];
        HasResponseStages = ResponseHeaderStages.Length > 0 || ResponseBodyStages.Length > 0;
    }
}

/// <summary>Defaults of the output settings.</summary>
public static class OutputDefaults
{
    public const long MaxResponseBytes = 16L * 1024 * 1024;
}
