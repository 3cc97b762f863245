using System.Globalization;
using AiGuard.Configuration;
using AiGuard.Pipeline;
using AiGuard.Protocols;
using Microsoft.AspNetCore.Http;

namespace AiGuard.Inspection.Injection;

/// <summary>
/// Prompt-injection and jailbreak detection on the messages of OpenAI routes whose roles the
/// policy names (user, tool and function results by default): each is normalized and scored
/// (<see cref="PromptInjectionDetector"/>); a message at or above the threshold is refused
/// (400 <c>prompt_injection</c>) or flagged (audited, forwarded). Answers and audit events name
/// the field, the score and the rule families, never the text.
/// </summary>
public sealed class PromptInjectionStage : IGuardStage
{
    public string Name => StageNames.PromptInjection;

    public int Order => StageOrder.PromptInjection;

    public StagePhases Phases => StagePhases.Request;

    public bool AppliesTo(RoutePolicy route) => route.PromptInjection is not null;

    public ValueTask<GuardDecision> OnRequestAsync(GuardContext context)
    {
        var policy = context.Policy!.PromptInjection!;
        var inputs = context.Request!.Inputs;
        TextInput? worst = null;
        InjectionVerdict worstVerdict = default;
        for (var i = 0; i < inputs.Count; i++)
        {
            if (inputs[i] is not TextInput input || input.Text.Length == 0 || !policy.Inspects(input.Role))
            {
                continue;
            }

            var verdict = input.Kind == TextKind.ToolDefinition ? ToolDefinition(policy, input.Text, context.Client) : policy.Detector.Inspect(input.Text, context.Client);
            if (verdict.Score < policy.Threshold || (worst is not null && verdict.Score <= worstVerdict.Score))
            {
                continue;
            }

            worst = input;
            worstVerdict = verdict;
            if (policy.Action == PromptInjectionAction.Block)
            {
                break;
            }
        }

        if (worst is null)
        {
            return default;
        }

        var reason = string.Create(CultureInfo.InvariantCulture, $"'{worst.Field}' ({worst.Role}) reads as a prompt injection or jailbreak: score {worstVerdict.Score:0.000} at threshold {policy.Threshold:0.000}; families: {Families(worstVerdict.Families)}");
        return new(policy.Action == PromptInjectionAction.Block
            ? GuardDecision.Refuse(StatusCodes.Status400BadRequest, ProblemCodes.PromptInjection, reason + ". This route does not accept it.", worst.Field)
            : GuardDecision.Flag(ProblemCodes.PromptInjectionFlagged, reason + "."));
    }

    /// <summary>A tool definition: the rule floors and the tool-poisoning rules, and the model where the policy asks for it.</summary>
    private static InjectionVerdict ToolDefinition(PromptInjectionPolicy policy, string text, Identity.ClientIdentity? client)
    {
        var rules = policy.Detector.InspectToolDefinition(text, client);
        if (!policy.ModelOnToolDefinitions)
        {
            return rules;
        }

        var model = policy.Detector.Inspect(text, client);
        return model.Score > rules.Score ? model with { Families = model.Families | rules.Families } : rules with { Families = model.Families | rules.Families };
    }

    private static string Families(InjectionFamilies families)
    {
        if (families == InjectionFamilies.None)
        {
            return "none by rule (model score)";
        }

        return string.Join(", ", Enum.GetValues<InjectionFamilies>()
            .Where(f => f != InjectionFamilies.None && families.HasFlag(f))
            .Select(f => JsonNamingPolicySnake(f.ToString())));
    }

    private static string JsonNamingPolicySnake(string name) => System.Text.Json.JsonNamingPolicy.SnakeCaseLower.ConvertName(name);
}
