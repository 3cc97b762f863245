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
        var worstThreshold = 0f;
        for (var i = 0; i < inputs.Count; i++)
        {
            if (inputs[i] is not TextInput input || input.Text.Length == 0 || !policy.Inspects(input.Role))
            {
                continue;
            }

            // A tool definition is scored by the tool-definition model and the tool-poisoning rules, at its own threshold.
            var definition = input.Kind == TextKind.ToolDefinition;
            var threshold = definition ? policy.ToolThreshold : policy.Threshold;
            var text = input.Kind == TextKind.ToolCallArguments ? Text.JsonArgumentsText.Read(input.Text).Scanned : input.Text;
            var verdict = definition ? policy.ToolDetector!.InspectToolDefinition(text, context.Client) : policy.Detector.Inspect(text, context.Client);
            if (verdict.Score < threshold || (worst is not null && verdict.Score - threshold <= worstVerdict.Score - worstThreshold))
            {
                continue;
            }

            worst = input;
            worstVerdict = verdict;
            worstThreshold = threshold;
            if (policy.Action == PromptInjectionAction.Block)
            {
                break;
            }
        }

        if (worst is null)
        {
            return default;
        }

        var reason = string.Create(CultureInfo.InvariantCulture, $"'{worst.Field}' ({worst.Role}) reads as a prompt injection or jailbreak: score {worstVerdict.Score:0.000} at threshold {worstThreshold:0.000}; families: {Families(worstVerdict.Families)}");
        return new(policy.Action == PromptInjectionAction.Block
            ? GuardDecision.Refuse(StatusCodes.Status400BadRequest, ProblemCodes.PromptInjection, reason + ". This route does not accept it.", worst.Field)
            : GuardDecision.Flag(ProblemCodes.PromptInjectionFlagged, reason + "."));
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
