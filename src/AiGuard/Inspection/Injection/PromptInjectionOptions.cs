using System.Collections.Concurrent;

namespace AiGuard.Inspection.Injection;

/// <summary>What a route does with a prompt that reads as an injection or jailbreak.</summary>
public enum PromptInjectionAction
{
    /// <summary>Not inspected.</summary>
    Off,

    /// <summary>Refused with 400 <c>prompt_injection</c>; audited.</summary>
    Block,

    /// <summary>Forwarded, and audited as <c>prompt_injection_flagged</c>.</summary>
    Flag,
}

/// <summary>Prompt-injection detection on a policy's routes (section <c>AiGuard:Policies:&lt;name&gt;:PromptInjection</c>), OpenAI routes.</summary>
public sealed class PromptInjectionOptions
{
    /// <summary>The chat roles whose messages are inspected unless <see cref="Roles"/> names others.</summary>
    public static readonly string[] DefaultRoles = ["user", "tool", "function"];

    /// <summary>
    /// The roles a text can have: a message's (<c>prompt</c>: a legacy completion prompt), and
    /// <c>tool_definition</c> for the descriptions and titles of the tools a request offers the
    /// model (their parameter schemas included), <c>prediction</c> for predicted output.
    /// </summary>
    public static readonly string[] KnownRoles = ["system", "developer", "user", "assistant", "tool", "function", "prompt", "tool_definition", "prediction"];

    /// <summary>Off (the default), Block or Flag.</summary>
    public PromptInjectionAction Action { get; set; }

    /// <summary>Score at or above which a message is taken for an injection (0 to 1); unset for the model manifest's tuned threshold.</summary>
    public float? Threshold { get; set; }

    /// <summary>Roles of the messages inspected: user, tool and function results by default (the system prompt is the operator's own).</summary>
    public List<string> Roles { get; set; } = [];

    /// <summary>
    /// Also score <c>tool_definition</c> texts with the model (the higher of the two scores counts).
    /// Off by default: the model was trained on prompts and flags about one benign tool description
    /// in six (docs/prompt-injection.md, "Tool definitions"), and a tool definition is sent with every
    /// request of an application, so a false alarm there refuses all of them.
    /// </summary>
    public bool ModelOnToolDefinitions { get; set; }

    /// <summary>The model (.onnx with its manifest beside it); unset for the shipped <c>models/prompt-injection.onnx</c>.</summary>
    public string? Model { get; set; }

    /// <summary>SHA-256 the model file must have; unset to trust the file (its manifest's hash is always checked).</summary>
    public string? ModelSha256 { get; set; }

    public bool IsActive => Action != PromptInjectionAction.Off;
}

/// <summary>The options resolved for a route: the action, the roles, the threshold and the loaded detector.</summary>
public sealed class PromptInjectionPolicy
{
    /// <summary>Where the shipped model lives, relative to the application's directory.</summary>
    public const string ShippedModelPath = "models/prompt-injection.onnx";

    // One detector per model file and pin for the whole process: configuration reloads and
    // routes that share a model share its session.
    private static readonly ConcurrentDictionary<(string Path, string? Sha256), Lazy<PromptInjectionDetector>> Detectors = new();

    private readonly HashSet<string> _roles;

    public PromptInjectionPolicy(PromptInjectionOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        Action = options.Action;
        _roles = new HashSet<string>(options.Roles.Count > 0 ? options.Roles : PromptInjectionOptions.DefaultRoles, StringComparer.Ordinal);
        Detector = DetectorFor(options);
        Threshold = options.Threshold ?? Detector.Threshold;
        ModelOnToolDefinitions = options.ModelOnToolDefinitions;
    }

    /// <summary>Whether tool definitions are also scored by the model.</summary>
    public bool ModelOnToolDefinitions { get; }

    public PromptInjectionAction Action { get; }

    public float Threshold { get; }

    public PromptInjectionDetector Detector { get; }

    public bool Inspects(string role) => _roles.Contains(role);

    /// <summary>The model file the options name, resolved like the anomaly model: as given when it exists, else beside the application.</summary>
    public static string ModelPath(PromptInjectionOptions options)
    {
        var path = string.IsNullOrWhiteSpace(options.Model) ? ShippedModelPath : options.Model;
        return Path.IsPathRooted(path) || File.Exists(path) ? Path.GetFullPath(path) : Path.Combine(AppContext.BaseDirectory, path);
    }

    /// <summary>The loaded detector for the options' model (loaded once per file and pin); throws <see cref="InjectionModelException"/>.</summary>
    public static PromptInjectionDetector DetectorFor(PromptInjectionOptions options)
    {
        var key = (ModelPath(options), options.ModelSha256);
        var lazy = Detectors.GetOrAdd(key, k => new Lazy<PromptInjectionDetector>(() => PromptInjectionDetector.Load(k.Path, k.Sha256)));
        try
        {
            return lazy.Value;
        }
        catch
        {
            // A failed load is not cached: a fixed file is picked up by the next configuration.
            Detectors.TryRemove(new KeyValuePair<(string, string?), Lazy<PromptInjectionDetector>>(key, lazy));
            throw;
        }
    }
}
