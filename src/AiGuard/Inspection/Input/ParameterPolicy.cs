using System.Globalization;
using AiGuard.Protocols;

namespace AiGuard.Inspection.Input;

/// <summary>What a generation-parameter rule does with a parameter a request sends.</summary>
public enum ParameterRule
{
    /// <summary>Forwarded as sent.</summary>
    Allow,

    /// <summary>Removed from the request before it is forwarded; the change is audited.</summary>
    Strip,

    /// <summary>The request is refused (400 <c>parameter_not_allowed</c>).</summary>
    Refuse,
}

/// <summary>
/// The generation-parameter policy of an OpenAI route (section
/// <c>AiGuard:Policies:&lt;name&gt;:Parameters</c>): caps on how much a request may ask for, and
/// what happens to the parameters that expose the model's internals or let it call tools.
/// </summary>
public sealed class ParameterPolicyOptions
{
    /// <summary>Largest <c>max_tokens</c> / <c>max_completion_tokens</c>; a larger one is lowered to it, and a request with neither gets <c>max_tokens</c> set to it. Unset: no cap.</summary>
    public int? MaxTokens { get; set; }

    /// <summary>Largest <c>n</c> (completions per request); a larger one is lowered to it. Unset: no cap.</summary>
    public int? MaxN { get; set; }

    /// <summary><c>logprobs</c> and <c>top_logprobs</c>: the model's token probabilities, what logit extraction reads.</summary>
    public ParameterRule Logprobs { get; set; } = ParameterRule.Allow;

    /// <summary>Largest <c>top_logprobs</c> when logprobs are allowed; a larger one is lowered to it. Unset: no cap.</summary>
    public int? MaxTopLogprobs { get; set; }

    /// <summary><c>logit_bias</c>: what logit-bias sweeps use to recover logits token by token.</summary>
    public ParameterRule LogitBias { get; set; } = ParameterRule.Allow;

    /// <summary><c>tools</c>, <c>tool_choice</c>, <c>parallel_tool_calls</c>, <c>functions</c>, <c>function_call</c>.</summary>
    public ParameterRule Tools { get; set; } = ParameterRule.Allow;

    /// <summary>True when the policy can change or refuse anything.</summary>
    public bool IsActive =>
        MaxTokens is not null || MaxN is not null || MaxTopLogprobs is not null
        || Logprobs != ParameterRule.Allow || LogitBias != ParameterRule.Allow || Tools != ParameterRule.Allow;
}

/// <summary>One change to a request body's top-level member: set to a number, or removed (null).</summary>
public readonly record struct RequestEdit(string Member, int? Value);

/// <summary>What the policy made of one request: a refusal, the edits to forward, and a readable account of them.</summary>
public readonly record struct ParameterVerdict(string? RefusedParameter, RequestEdit[] Edits, string Changes)
{
    public bool Refused => RefusedParameter is not null;

    public bool Changed => Edits.Length > 0;
}

/// <summary>The policy applied to a parsed request: pure, no allocation when nothing changes.</summary>
public static class ParameterPolicy
{
    private static readonly string[] ToolNames = ["tools", "tool_choice", "parallel_tool_calls", "functions", "function_call"];

    public static ParameterVerdict Apply(ParameterPolicyOptions policy, GenerationParameters? generation)
    {
        if (generation is null)
        {
            return default(ParameterVerdict) with { Edits = [] };
        }

        // Refusals first: a refused request is not also changed.
        if (policy.LogitBias == ParameterRule.Refuse && generation.LogitBias is not null)
        {
            return Refusal("logit_bias");
        }

        if (policy.Logprobs == ParameterRule.Refuse && (generation.Logprobs || generation.TopLogprobs is not null))
        {
            return Refusal(generation.Logprobs ? "logprobs" : "top_logprobs");
        }

        if (policy.Tools == ParameterRule.Refuse && generation.Tools != ToolMembers.None)
        {
            return Refusal(ToolName(generation.Tools));
        }

        List<RequestEdit>? edits = null;
        List<string>? changes = null;
        void Edit(string member, int? value, string change)
        {
            (edits ??= []).Add(new RequestEdit(member, value));
            (changes ??= []).Add(change);
        }

        if (policy.MaxTokens is { } maxTokens)
        {
            if (generation.MaxTokens > maxTokens)
            {
                Edit("max_tokens", maxTokens, Invariant($"max_tokens {generation.MaxTokens} lowered to {maxTokens}"));
            }

            if (generation.MaxCompletionTokens > maxTokens)
            {
                Edit("max_completion_tokens", maxTokens, Invariant($"max_completion_tokens {generation.MaxCompletionTokens} lowered to {maxTokens}"));
            }

            if (generation.MaxTokens is null && generation.MaxCompletionTokens is null)
            {
                // Left out, the upstream's own default applies, which may be far above the cap.
                Edit("max_tokens", maxTokens, Invariant($"max_tokens set to {maxTokens} (none sent)"));
            }
        }

        if (policy.MaxN is { } maxN && generation.N > maxN)
        {
            Edit("n", maxN, Invariant($"n {generation.N} lowered to {maxN}"));
        }

        if (policy.Logprobs == ParameterRule.Strip && (generation.Logprobs || generation.TopLogprobs is not null))
        {
            Edit("logprobs", null, "logprobs removed");
            if (generation.TopLogprobs is not null)
            {
                Edit("top_logprobs", null, "top_logprobs removed");
            }
        }
        else if (policy.MaxTopLogprobs is { } maxTop && generation.TopLogprobs > maxTop)
        {
            Edit("top_logprobs", maxTop, Invariant($"top_logprobs {generation.TopLogprobs} lowered to {maxTop}"));
        }

        if (policy.LogitBias == ParameterRule.Strip && generation.LogitBias is not null)
        {
            Edit("logit_bias", null, Invariant($"logit_bias removed ({generation.LogitBias.Count} tokens)"));
        }

        if (policy.Tools == ParameterRule.Strip && generation.Tools != ToolMembers.None)
        {
            foreach (var (flag, name) in Flags())
            {
                if ((generation.Tools & flag) != 0)
                {
                    Edit(name, null, name + " removed");
                }
            }
        }

        return edits is null
            ? new ParameterVerdict(null, [], string.Empty)
            : new ParameterVerdict(null, [.. edits], string.Join("; ", changes!));
    }

    /// <summary>The generation parameters once <paramref name="edits"/> are applied: what the upstream will see.</summary>
    public static GenerationParameters Applied(GenerationParameters generation, IReadOnlyList<RequestEdit> edits)
    {
        var result = generation;
        foreach (var (member, value) in edits)
        {
            result = member switch
            {
                "max_tokens" => result with { MaxTokens = value },
                "max_completion_tokens" => result with { MaxCompletionTokens = value },
                "n" => result with { N = value },
                "logprobs" => result with { Logprobs = false },
                "top_logprobs" => result with { TopLogprobs = value },
                "logit_bias" => result with { LogitBias = null },
                "tools" => result with { Tools = result.Tools & ~ToolMembers.Tools },
                "tool_choice" => result with { Tools = result.Tools & ~ToolMembers.ToolChoice },
                "parallel_tool_calls" => result with { Tools = result.Tools & ~ToolMembers.ParallelToolCalls },
                "functions" => result with { Tools = result.Tools & ~ToolMembers.Functions },
                "function_call" => result with { Tools = result.Tools & ~ToolMembers.FunctionCall },
                _ => result,
            };
        }

        return result;
    }

    private static ParameterVerdict Refusal(string parameter) => new(parameter, [], string.Empty);

    private static string ToolName(ToolMembers tools)
    {
        foreach (var (flag, name) in Flags())
        {
            if ((tools & flag) != 0)
            {
                return name;
            }
        }

        return ToolNames[0];
    }

    private static IEnumerable<(ToolMembers Flag, string Name)> Flags() =>
    [
        (ToolMembers.Tools, ToolNames[0]),
        (ToolMembers.ToolChoice, ToolNames[1]),
        (ToolMembers.ParallelToolCalls, ToolNames[2]),
        (ToolMembers.Functions, ToolNames[3]),
        (ToolMembers.FunctionCall, ToolNames[4]),
    ];

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
