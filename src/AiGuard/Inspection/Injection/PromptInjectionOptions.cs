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
    /// The model that scores <c>tool_definition</c> texts (with its manifest beside it); unset for
    /// the shipped <c>models/tool-definition.onnx</c>, trained on tool and parameter descriptions.
    /// Loaded only when <see cref="Roles"/> names <c>tool_definition</c>.
    /// </summary>
    public string? ToolDefinitionModel { get; set; }

    /// <summary>SHA-256 the tool-definition model file must have; unset to trust the file (its manifest's hash is always checked).</summary>
    public string? ToolDefinitionModelSha256 { get; set; }

    /// <summary>Score at or above which a tool definition is taken for an attack (0 to 1); unset for the tool-definition model's tuned threshold.</summary>
    public float? ToolDefinitionThreshold { get; set; }

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

    /// <summary>Where the shipped tool-definition model lives, relative to the application's directory.</summary>
    public const string ShippedToolDefinitionModelPath = "models/tool-definition.onnx";

    /// <summary>The role of tool definitions' texts.</summary>
    public const string ToolDefinitionRole = "tool_definition";

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
        if (_roles.Contains(ToolDefinitionRole))
        {
            ToolDetector = ToolDetectorFor(options);
            ToolThreshold = options.ToolDefinitionThreshold ?? ToolDetector.Threshold;
        }
    }

    /// <summary>The detector of tool definitions (its own model, the rule floors and the tool-poisoning rules), when the roles name them.</summary>
    public PromptInjectionDetector? ToolDetector { get; }

    /// <summary>The threshold of tool definitions' scores.</summary>
    public float ToolThreshold { get; }

    public PromptInjectionAction Action { get; }

    public float Threshold { get; }

    public PromptInjectionDetector Detector { get; }

    public bool Inspects(string role) => _roles.Contains(role);

    /// <summary>The model file the options name, resolved like the anomaly model: as given when it exists, else beside the application.</summary>
    public static string ModelPath(PromptInjectionOptions options) => Resolve(string.IsNullOrWhiteSpace(options.Model) ? ShippedModelPath : options.Model);

    /// <summary>The tool-definition model file the options name, resolved the same way.</summary>
    public static string ToolDefinitionModelPath(PromptInjectionOptions options) =>
        Resolve(string.IsNullOrWhiteSpace(options.ToolDefinitionModel) ? ShippedToolDefinitionModelPath : options.ToolDefinitionModel);

    private static string Resolve(string path) => Path.IsPathRooted(path) || File.Exists(path) ? Path.GetFullPath(path) : Path.Combine(AppContext.BaseDirectory, path);

    /// <summary>The loaded detector for the options' model (loaded once per file and pin); throws <see cref="InjectionModelException"/>.</summary>
    public static PromptInjectionDetector DetectorFor(PromptInjectionOptions options) => DetectorFor(ModelPath(options), options.ModelSha256);

    /// <summary>The loaded detector for the options' tool-definition model; throws <see cref="InjectionModelException"/>.</summary>
    public static PromptInjectionDetector ToolDetectorFor(PromptInjectionOptions options) => DetectorFor(ToolDefinitionModelPath(options), options.ToolDefinitionModelSha256);

    private static PromptInjectionDetector DetectorFor(string path, string? sha256)
    {
        var key = (path, sha256);
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
