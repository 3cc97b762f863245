using AiGuard.Anomaly;
using AiGuard.Audit;
using AiGuard.Identity;
using AiGuard.Limits;
using AiGuard.Telemetry;

namespace AiGuard.Configuration;

/// <summary>The <c>AiGuard</c> configuration section: everything besides YARP's own routes and clusters.</summary>
public sealed class AiGuardOptions
{
    public const string SectionName = "AiGuard";

    /// <summary>The YARP route metadata key that names a route's AiGuard policy.</summary>
    public const string PolicyMetadataKey = "AiGuard.Policy";

    /// <summary>Request limits that apply to every policy unless the policy overrides them.</summary>
    public RequestLimitsOptions Limits { get; set; } = new();

    /// <summary>Named policies; each YARP route names one in its metadata (<see cref="PolicyMetadataKey"/>).</summary>
    public Dictionary<string, GuardPolicyOptions> Policies { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Per YARP cluster id: credentials and headers added to requests sent upstream.</summary>
    public Dictionary<string, UpstreamOptions> Upstreams { get; set; } = new(StringComparer.Ordinal);

    public ApiKeyOptions ApiKeys { get; set; } = new();

    /// <summary>Bearer tokens (JWT) from an OIDC provider or signed with configured keys; read at start.</summary>
    public JwtOptions Jwt { get; set; } = new();

    /// <summary>Named request limits and the throttling of failed authentication.</summary>
    public RateLimitsOptions RateLimits { get; set; } = new();

    /// <summary>Named LLM token budgets.</summary>
    public TokenBudgetsOptions TokenBudgets { get; set; } = new();

    /// <summary>The Redis that replicas share limits and budgets through; unset keeps them in process.</summary>
    public RedisOptions Redis { get; set; } = new();

    public AuditOptions Audit { get; set; } = new();

    public AnomalyOptions Anomaly { get; set; } = new();

    /// <summary>The admin API: its listener (read at start) and its credentials (reloaded).</summary>
    public Admin.AdminOptions Admin { get; set; } = new();

    public TelemetryOptions Telemetry { get; set; } = new();
}

/// <summary>Limits on request bodies; every value may be overridden per policy.</summary>
public sealed class RequestLimitsOptions
{
    public const long DefaultMaxBodyBytes = 1024 * 1024;
    public const long LargestMaxBodyBytes = 1024L * 1024 * 1024;
    public const int DefaultMaxJsonDepth = 32;
    public const int DefaultMaxJsonElements = 100_000;

    /// <summary>Largest request body accepted, in bytes (413 above). Bodies are inspected in memory, so at most 1 GiB.</summary>
    public long? MaxBodyBytes { get; set; }

    /// <summary>Deepest JSON nesting accepted (400 above).</summary>
    public int? MaxJsonDepth { get; set; }

    /// <summary>Most JSON values (objects, arrays, scalars) accepted in one body (400 above).</summary>
    public int? MaxJsonElements { get; set; }

    /// <summary>Media types a body may have (415 otherwise).</summary>
    public List<string>? AllowedContentTypes { get; set; }
}

/// <summary>One named AiGuard policy: the protocol its routes speak, who may use them, what is checked.</summary>
public sealed class GuardPolicyOptions
{
    /// <summary><c>openai</c>, <c>open-inference-v2</c> or <c>tf-serving</c>.</summary>
    public string Protocol { get; set; } = string.Empty;

    /// <summary>Scopes a key must hold, all of them, to use the routes of this policy.</summary>
    public List<string> RequiredScopes { get; set; } = [];

    public RequestLimitsOptions Limits { get; set; } = new();

    /// <summary>Names of limits under <c>AiGuard:RateLimits:Policies</c> that apply to this policy's routes, all of them.</summary>
    public List<string> RateLimits { get; set; } = [];

    /// <summary>Names of token budgets under <c>AiGuard:TokenBudgets:Policies</c> that apply to this policy's routes (OpenAI protocol only).</summary>
    public List<string> TokenBudgets { get; set; } = [];

    /// <summary>The tokenizer encoding the prompt is counted with: <c>o200k_base</c> (GPT-4o and later, the default) or <c>cl100k_base</c>.</summary>
    public string TokenEncoding { get; set; } = PromptTokenCounter.DefaultEncoding;

    public OutputOptions Output { get; set; } = new();

    /// <summary>Generation-parameter policy of this policy's routes (OpenAI protocol only): caps and what to do with logprobs, logit_bias and tools.</summary>
    public Inspection.Input.ParameterPolicyOptions Parameters { get; set; } = new();

    /// <summary>Personal data in prompts and answers (OpenAI protocol only): per entity type allowed, redacted or blocked.</summary>
    public Inspection.Sensitive.SensitiveDataOptions SensitiveData { get; set; } = new();

    /// <summary>Canary tokens and system prompts that answers must not repeat (OpenAI protocol only).</summary>
    public Inspection.Output.PromptLeakOptions PromptLeak { get; set; } = new();
    /// <summary>Prompt-injection and jailbreak detection on the messages of the named roles (OpenAI protocol only): block or flag.</summary>
    public Inspection.Injection.PromptInjectionOptions PromptInjection { get; set; } = new();

    /// <summary>The anomaly policy (a name under <c>AiGuard:Anomaly:Policies</c>) watching this policy's clients; none when empty.</summary>
    public string? Anomaly { get; set; }

    /// <summary>Names of stages that fail open on this policy (continue, audited, when the stage itself fails); all others fail closed.</summary>
    public List<string> FailOpen { get; set; } = [];
}

/// <summary>What happens to upstream answers on the routes of a policy.</summary>
public sealed class OutputOptions
{
    /// <summary>Upstream response headers that reveal the server software, removed before the client sees them.</summary>
    public static readonly string[] DefaultRemovedHeaders =
        ["Server", "X-Powered-By", "X-AspNet-Version", "X-AspNetMvc-Version", "X-Runtime", "X-Version", "X-Generator", "X-Envoy-Upstream-Service-Time"];

    /// <summary>Remove the headers that name the model server's software (<see cref="DefaultRemovedHeaders"/>). On by default.</summary>
    public bool RemoveServerHeaders { get; set; } = true;

    /// <summary>Further response headers to remove.</summary>
    public List<string> RemoveHeaders { get; set; } = [];

    /// <summary>Probability hardening of tensor outputs (Open Inference v2 and TF-Serving).</summary>
    public HardeningOptions Hardening { get; set; } = new();

    /// <summary>Largest upstream JSON answer buffered for inspection (502 above, fail closed). Default 16 MiB.</summary>
    public long? MaxResponseBytes { get; set; }
}

/// <summary>How much of a model's probability vector a client sees.</summary>
public sealed class HardeningOptions
{
    /// <summary>Round every probability to this many decimals (0 to 15); unset for full precision.</summary>
    public int? Decimals { get; set; }

    /// <summary>Keep only the k largest values of each row, the others become 0.</summary>
    public int? TopK { get; set; }

    /// <summary>Replace each row by a one-hot vector of its largest value: the label and nothing else.</summary>
    public bool LabelOnly { get; set; }

    /// <summary>Output names to harden; empty for every floating-point output.</summary>
    public List<string> Outputs { get; set; } = [];

    /// <summary>
    /// Parse responses on this policy's routes even when no hardening is configured, so another
    /// stage (the anomaly engine) can switch hardening on for one client.
    /// </summary>
    public bool OnDemand { get; set; }
}

/// <summary>What the gateway adds to requests it forwards to one cluster.</summary>
public sealed class UpstreamOptions
{
    /// <summary>Header carrying the upstream credential, for example <c>Authorization</c> or <c>api-key</c>.</summary>
    public string CredentialHeader { get; set; } = "Authorization";

    /// <summary>Prefix put before the credential, for example <c>Bearer </c>; empty for none.</summary>
    public string CredentialPrefix { get; set; } = "Bearer ";

    /// <summary>The credential itself. Prefer <see cref="CredentialEnvironmentVariable"/> or an environment-variable override.</summary>
    public string? Credential { get; set; }

    /// <summary>Name of an environment variable that holds the credential.</summary>
    public string? CredentialEnvironmentVariable { get; set; }

    /// <summary>Other fixed headers to add (not secrets: they may be logged).</summary>
    public Dictionary<string, string> Headers { get; set; } = new(StringComparer.OrdinalIgnoreCase);
}
