using System.Globalization;
using AiGuard.Configuration;
using AiGuard.Pipeline;
using AiGuard.Protocols;
using Microsoft.AspNetCore.Http;

namespace AiGuard.Inspection.Output;

/// <summary>
/// Canary tokens and system-prompt leaks in the answers of OpenAI routes: an answer whose text or
/// tool-call arguments hold a canary or repeat a protected prompt (exactly or nearly: enough of
/// its four-word sequences) is withheld, 403 <c>prompt_leak</c>; a stream is cut with an error event before the
/// offending text, which is held back while it could still be one.
/// </summary>
public sealed class PromptLeakStage : IGuardStage
{
    public string Name => StageNames.PromptLeak;

    public int Order => StageOrder.PromptLeak;

    public StagePhases Phases => StagePhases.ResponseBody;

    public bool AppliesTo(RoutePolicy route) => route.PromptLeak is not null;

    public GuardDecision OnResponse(GuardContext context, InferenceResponse response)
    {
        var policy = context.Policy!.PromptLeak!;
        if (response.IsEndOfStream)
        {
            return default;
        }

        var state = response.IsStreamChunk ? context.StreamStateOf<StreamState>(this) : null;
        foreach (var text in response.Texts)
        {
            if (state is not null && text.Text.Length == 0 && text.FinishReason is null)
            {
                continue;
            }

            string release;
            string? leak;
            if (state is null)
            {
                // A whole answer: nothing to hold back.
                release = text.Text;
                leak = LeakWatch.Check(policy, Prompts(context, policy), release);
            }
            else
            {
                (release, leak) = state.For(text.Index, policy, () => Prompts(context, policy)).Push(text.Text, final: text.FinishReason is not null);
            }

            if (leak is not null)
            {
                var field = string.Create(CultureInfo.InvariantCulture, $"choices[{text.Index}].{(state is null ? "message" : "delta")}.content");
                return GuardDecision.Refuse(
                    StatusCodes.Status403Forbidden,
                    ProblemCodes.PromptLeak,
                    $"The model's answer repeats {leak}, which this route does not pass on; the answer was withheld from there on.",
                    field);
            }

            text.Text = release;
        }

        // A tool call that carries a canary or the prompt (a URL to fetch, a message to send) leaks it
        // as surely as text. In a stream, the whole arguments are here when the sensitive-data guard
        // held them back (it writes them out, whole, when the choice finishes); otherwise each piece
        // is read on its own.
        var part = state is null ? "message" : "delta";
        foreach (var arguments in response.ToolCallArguments)
        {
            if (Leak(context, policy, arguments.Text) is { } leak)
            {
                return ToolCallLeak(leak, string.Create(CultureInfo.InvariantCulture, $"choices[{arguments.Index}].{part}.{arguments.Member}"));
            }
        }

        foreach (var text in response.Texts)
        {
            foreach (var (call, added) in text.AddedToolCalls)
            {
                if (Leak(context, policy, added) is { } leak)
                {
                    return ToolCallLeak(leak, string.Create(CultureInfo.InvariantCulture, $"choices[{text.Index}].{part}.{GeneratedText.CallMember(call)}"));
                }
            }
        }

        return default;
    }

    private static string? Leak(GuardContext context, PromptLeakPolicy policy, string arguments) =>
        arguments.Length == 0 ? null : LeakWatch.Check(policy, Prompts(context, policy), Text.JsonArgumentsText.Read(arguments).Scanned);

    private static GuardDecision ToolCallLeak(string leak, string field) => GuardDecision.Refuse(
        StatusCodes.Status403Forbidden,
        ProblemCodes.PromptLeak,
        $"The model's tool call repeats {leak}, which this route does not pass on; the answer was withheld.",
        field);

    /// <summary>The route's prompts and, when asked, the request's own system and developer messages.</summary>
    private static PromptSequences[] Prompts(GuardContext context, PromptLeakPolicy policy)
    {
        if (!policy.ProtectRequestSystemPrompt || context.Request is null)
        {
            return policy.Prompts;
        }

        var prompts = new List<PromptSequences>(policy.Prompts);
        foreach (var input in context.Request.Inputs)
        {
            if (input is TextInput { Role: "system" or "developer" } text)
            {
                var sequences = PromptSequences.Of(text.Text, policy.MaxOverlap);
                if (sequences.Threshold > 0)
                {
                    prompts.Add(sequences);
                }
            }
        }

        return [.. prompts];
    }

    /// <summary>The leak watch of each choice of one streamed answer; the protected prompts are resolved once.</summary>
    private sealed class StreamState
    {
        private readonly ChoiceStates<LeakWatch> _choices = new();
        private PromptSequences[]? _prompts;

        public LeakWatch For(int index, PromptLeakPolicy policy, Func<PromptSequences[]> prompts) =>
            _choices.For(index, () => new LeakWatch(policy, _prompts ??= prompts()));
    }
}
