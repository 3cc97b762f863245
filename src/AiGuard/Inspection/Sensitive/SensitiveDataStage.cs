using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using AiGuard.Configuration;
using AiGuard.Pipeline;
using AiGuard.Protocols;
using Microsoft.AspNetCore.Http;

namespace AiGuard.Inspection.Sensitive;

/// <summary>
/// Structured personal data in the prompts and answers of OpenAI routes: per entity type allowed,
/// redacted (a typed placeholder replaces it in what is forwarded, in what later stages see, and
/// in what the client receives) or blocked (a prompt is refused with 400 <c>sensitive_data</c>;
/// an answer is withheld with 403 <c>sensitive_data_in_response</c>, a stream cut before the
/// entity). Audit events and answers name the type, the field and the position, and a keyed
/// hash of the value (HMAC-SHA256 under a key made at start, so one value can be followed
/// through the trail without being in it); never the value.
/// </summary>
/// <remarks>
/// A stream is inspected as it passes: each choice's text is released up to the point where an
/// entity could still be forming (<see cref="StreamHoldback"/>), so an entity split across events
/// is caught and the rest of the text is not delayed.
/// </remarks>
public sealed class SensitiveDataStage : IGuardStage
{
    private readonly byte[] _hashKey = RandomNumberGenerator.GetBytes(32);

    public string Name => StageNames.SensitiveData;

    public int Order => StageOrder.SensitiveData;

    public StagePhases Phases => StagePhases.Request | StagePhases.ResponseBody;

    public bool AppliesTo(RoutePolicy route) => route.SensitiveData is not null;

    public StagePhases PhasesOn(RoutePolicy route) =>
        (route.SensitiveData!.InspectsPrompts ? StagePhases.Request : StagePhases.None)
        | (route.SensitiveData.InspectsResponses ? StagePhases.ResponseBody : StagePhases.None);

    public ValueTask<GuardDecision> OnRequestAsync(GuardContext context)
    {
        var policy = context.Policy!.SensitiveData!;
        var request = context.Request!;
        List<InferenceInput>? rewritten = null;
        StringBuilder? account = null;
        for (var i = 0; i < request.Inputs.Count; i++)
        {
            if (request.Inputs[i] is not TextInput input || input.Text.Length == 0)
            {
                continue;
            }

            // Tool-call arguments of earlier turns are read as the tool reads them (escapes resolved).
            var (inspected, scanned) = input.Kind == TextKind.ToolCallArguments ? Text.JsonArgumentsText.Read(input.Text) : (input.Text, input.Text);
            List<PiiMatch> matches;
            try
            {
                matches = policy.Find(scanned, context.Client, remember: input.Kind == TextKind.ToolDefinition);
            }
            catch (TextTooDenseException e)
            {
                // Refused rather than half inspected: nothing of it is forwarded.
                return new(GuardDecision.Refuse(
                    StatusCodes.Status400BadRequest,
                    ProblemCodes.SensitiveData,
                    $"'{input.Field}' holds more than {PiiDetector.MaxCandidates} possible {e.Type} values, too many to inspect; send less at once.",
                    input.Field));
            }

            if (matches.Count == 0)
            {
                continue;
            }

            foreach (var match in matches)
            {
                if (policy.ActionFor(match.Type) == SensitiveAction.Block)
                {
                    return new(GuardDecision.Refuse(
                        StatusCodes.Status400BadRequest,
                        ProblemCodes.SensitiveData,
                        string.Create(CultureInfo.InvariantCulture, $"'{input.Field}' holds a {match.Describe()} (characters {match.Start}-{match.End}, {Hash(inspected, match)}), which this route does not accept; remove it and send again."),
                        input.Field));
                }
            }

            var redacted = Redact(policy, response: false, inspected, matches, input.Field, ref account);
            if (redacted is not null)
            {
                rewritten ??= [.. request.Inputs];
                rewritten[i] = input with { Text = redacted };
                context.AddTextEdit(input.Field, redacted);
            }
        }

        if (rewritten is null)
        {
            return default;
        }

        // Later stages (the anomaly engine) see what is forwarded.
        context.Request = request.WithInputs(rewritten);
        return new(GuardDecision.Modify(ProblemCodes.SensitiveDataRedacted, account!.ToString()));
    }

    public GuardDecision OnResponse(GuardContext context, InferenceResponse response)
    {
        var policy = context.Policy!.SensitiveData!;
        var stream = response.IsStreamChunk ? context.StreamStateOf<StreamState>(this) : null;
        if (response.IsEndOfStream)
        {
            return stream?.Pending > 0
                ? GuardDecision.Flag(ProblemCodes.SensitiveDataRedacted, string.Create(CultureInfo.InvariantCulture, $"The stream ended without a finish reason; {stream.Pending} held-back characters that could have been part of an entity were not sent."))
                : default;
        }

        StringBuilder? account = null;
        foreach (var text in response.Texts)
        {
            string released;
            List<PiiMatch> matches;
            try
            {
                if (stream is null)
                {
                    released = text.Text;
                    matches = released.Length == 0 ? [] : policy.Find(released);
                }
                else
                {
                    if (text.Text.Length == 0 && text.FinishReason is null)
                    {
                        continue;
                    }

                    (released, matches) = stream.For(text.Index).Push(text.Text, final: text.FinishReason is not null, policy.Find);
                }
            }
            catch (TextTooDenseException e)
            {
                return GuardDecision.Refuse(
                    StatusCodes.Status403Forbidden,
                    ProblemCodes.SensitiveDataInResponse,
                    $"The model's answer holds more than {PiiDetector.MaxCandidates} possible {e.Type} values, too many to inspect, so it is not passed on.",
                    AnswerField(response, text));
            }

            if (matches.Count == 0 && text.IsWritable)
            {
                // The common event: nothing found, the text goes out as released.
                stream?.For(text.Index).Sent(released);
                text.Text = released;
                continue;
            }

            var field = AnswerField(response, text);
            foreach (var match in matches)
            {
                if (policy.ResponseActionFor(match.Type) == SensitiveAction.Block)
                {
                    return GuardDecision.Refuse(
                        StatusCodes.Status403Forbidden,
                        ProblemCodes.SensitiveDataInResponse,
                        string.Create(CultureInfo.InvariantCulture, $"The model's answer holds a {match.Describe()} ({Hash(released, match)}), which this route does not pass on; the answer was withheld from there on."),
                        field);
                }
            }

            var redacted = Redact(policy, response: true, released, matches, field, ref account) ?? released;
            stream?.For(text.Index).Sent(redacted);
            if (!text.IsWritable && redacted.Length > 0)
            {
                // A choice without a message object to carry the text: it cannot be passed on safely.
                return EventStreamFilterRefusal(field);
            }

            text.Text = redacted;
        }

        // The arguments of the tool calls the model makes: what an agent would hand a tool (an e-mail
        // to send, a form to fill) is inspected like text. A whole answer's are inspected where they
        // are; a stream's pieces are held back and the whole arguments of each call are inspected and
        // written out when its choice finishes, so a tool is never called with what a piece leaked.
        if (stream is not null)
        {
            foreach (var piece in response.ToolCallArguments)
            {
                if ((piece.Call >= 0 && !piece.HasCallIndex) || stream.HasFinished(piece.Index))
                {
                    // A call without an index (some servers stream each call whole, without one) or
                    // after its choice finished: there is nothing to hold it with, so it is read whole.
                    if (InspectInPlace(policy, response, piece, "delta", ref account) is { } refused)
                    {
                        return refused;
                    }

                    continue;
                }

                if (!stream.Hold(piece.Index, piece.Call, piece.Text))
                {
                    return GuardDecision.Refuse(
                        StatusCodes.Status403Forbidden,
                        ProblemCodes.SensitiveDataInResponse,
                        $"The model's streamed tool calls hold more than {StreamState.MaxHeldArguments} characters of arguments, more than AiGuard holds back to inspect, so the stream was cut.",
                        string.Create(CultureInfo.InvariantCulture, $"choices[{piece.Index}].delta.{piece.Member}"));
                }

                piece.Text = string.Empty;
                DropLogprobs(response, piece.Index);
            }

            foreach (var text in response.Texts)
            {
                if (text.FinishReason is null)
                {
                    continue;
                }

                stream.Finish(text.Index);
                foreach (var (call, held) in stream.Release(text.Index))
                {
                    var field = string.Create(CultureInfo.InvariantCulture, $"choices[{text.Index}].delta.{GeneratedText.CallMember(call)}");
                    var (refusal, inspected) = InspectArguments(policy, held, field, ref account);
                    if (refusal is { } refused)
                    {
                        return refused;
                    }

                    if (response.ToolCallArguments.FirstOrDefault(p => p.Index == text.Index && p.Call == call) is { } piece)
                    {
                        piece.Text = inspected;
                    }
                    else if (text.IsWritable)
                    {
                        text.AddToolCall(call, inspected);
                    }
                    else if (inspected.Length > 0)
                    {
                        // A finishing choice without a delta object to carry the held arguments.
                        return EventStreamFilterRefusal(field);
                    }
                }
            }

            return account is null ? default : GuardDecision.Modify(ProblemCodes.SensitiveDataRedacted, account.ToString());
        }

        foreach (var arguments in response.ToolCallArguments)
        {
            if (InspectInPlace(policy, response, arguments, "message", ref account) is { } refused)
            {
                return refused;
            }
        }

        return account is null ? default : GuardDecision.Modify(ProblemCodes.SensitiveDataRedacted, account.ToString());
    }

    /// <summary>A call's arguments inspected whole where they are: redacted in place (the choice's logprobs dropped), or the refusal.</summary>
    private GuardDecision? InspectInPlace(SensitiveDataPolicy policy, InferenceResponse response, GeneratedText arguments, string part, ref StringBuilder? account)
    {
        var field = string.Create(CultureInfo.InvariantCulture, $"choices[{arguments.Index}].{part}.{arguments.Member}");
        var (refusal, inspected) = InspectArguments(policy, arguments.Text, field, ref account);
        if (refusal is null && !string.Equals(inspected, arguments.Text, StringComparison.Ordinal))
        {
            arguments.Text = inspected;
            DropLogprobs(response, arguments.Index);
        }

        return refusal;
    }

    /// <summary>The choice's logprobs go when its tool-call arguments are hidden or changed: they may spell the tokens out.</summary>
    private static void DropLogprobs(InferenceResponse response, int choice)
    {
        foreach (var text in response.Texts)
        {
            if (text.Index == choice)
            {
                text.DropLogprobs();
            }
        }
    }

    /// <summary>
    /// A tool call's whole arguments, read as the tool will read them (escapes resolved,
    /// <see cref="Text.JsonArgumentsText"/>): a refusal when a type found is blocked, else the
    /// arguments redacted (or as they were when nothing is found).
    /// </summary>
    private (GuardDecision? Refusal, string Arguments) InspectArguments(SensitiveDataPolicy policy, string sent, string field, ref StringBuilder? account)
    {
        if (sent.Length == 0)
        {
            return (null, sent);
        }

        var (arguments, scanned) = Text.JsonArgumentsText.Read(sent);

        List<PiiMatch> matches;
        try
        {
            matches = policy.Find(scanned);
        }
        catch (TextTooDenseException e)
        {
            return (GuardDecision.Refuse(
                StatusCodes.Status403Forbidden,
                ProblemCodes.SensitiveDataInResponse,
                $"The model's tool call holds more than {PiiDetector.MaxCandidates} possible {e.Type} values, too many to inspect, so it is not passed on.",
                field), arguments);
        }

        foreach (var match in matches)
        {
            if (policy.ResponseActionFor(match.Type) == SensitiveAction.Block)
            {
                return (GuardDecision.Refuse(
                    StatusCodes.Status403Forbidden,
                    ProblemCodes.SensitiveDataInResponse,
                    string.Create(CultureInfo.InvariantCulture, $"The model's tool call holds a {match.Describe()} ({Hash(arguments, match)}), which this route does not pass on; the answer was withheld."),
                    field), arguments);
            }
        }

        return (null, Redact(policy, response: true, arguments, matches, field, ref account) ?? sent);
    }

    /// <summary>The field of an answer's text, named only when a decision names it.</summary>
    private static string AnswerField(InferenceResponse response, GeneratedText text) => response.IsStreamChunk
        ? string.Create(CultureInfo.InvariantCulture, $"choices[{text.Index}].delta.content")
        : string.Create(CultureInfo.InvariantCulture, $"choices[{text.Index}].message.content");

    private static GuardDecision EventStreamFilterRefusal(string field) => GuardDecision.Refuse(
        StatusCodes.Status502BadGateway, ProblemCodes.UpstreamInvalidResponse, "An event of the model server's stream has a choice without a message to carry its text, so held-back text could not be written.", field);

    private string? Redact(SensitiveDataPolicy policy, bool response, string text, List<PiiMatch> matches, string field, ref StringBuilder? account)
    {
        StringBuilder? result = null;
        var position = 0;
        foreach (var match in matches)
        {
            if ((response ? policy.ResponseActionFor(match.Type) : policy.ActionFor(match.Type)) != SensitiveAction.Redact)
            {
                continue;
            }

            result ??= new StringBuilder(text.Length);
            result.Append(text, position, match.Start - position).Append(SensitiveDataPolicy.Placeholder(match.Type));
            position = match.End;
            account ??= new StringBuilder();
            if (account.Length > 0)
            {
                account.Append("; ");
            }

            account.Append(CultureInfo.InvariantCulture, $"{field}: {match.Describe()} at {match.Start}-{match.End} ({Hash(text, match)})");
        }

        return result?.Append(text, position, text.Length - position).ToString();
    }

    /// <summary>The first 12 hex digits of HMAC-SHA256(key, value): the same value gives the same tag in this process, and the tag does not give the value.</summary>
    private string Hash(string text, PiiMatch match)
    {
        Span<byte> tag = stackalloc byte[32];
        HMACSHA256.HashData(_hashKey, Encoding.UTF8.GetBytes(text.Substring(match.Start, match.Length)), tag);
        return "hmac " + Convert.ToHexStringLower(tag[..6]);
    }

    /// <summary>The hold-back of each choice of one streamed answer.</summary>
    private sealed class StreamState
    {
        /// <summary>Characters of tool-call arguments one stream may hold back in all.</summary>
        public const int MaxHeldArguments = 256 * 1024;

        private readonly Output.ChoiceStates<StreamHoldback> _choices = new();
        private SortedDictionary<(int Choice, int Call), StringBuilder>? _calls;
        private int _heldArguments;

        /// <summary>Characters held back over all choices, text and tool-call arguments.</summary>
        public int Pending => _choices.All.Sum(h => h.PendingLength) + _heldArguments;

        public StreamHoldback For(int index) => _choices.For(index, static () => new StreamHoldback());

        /// <summary>Holds a piece of a call's arguments; false when the stream would hold more than <see cref="MaxHeldArguments"/>.</summary>
        public bool Hold(int choice, int call, string piece)
        {
            if (_heldArguments + piece.Length > MaxHeldArguments)
            {
                return false;
            }

            _calls ??= [];
            if (!_calls.TryGetValue((choice, call), out var held))
            {
                _calls[(choice, call)] = held = new StringBuilder();
            }

            held.Append(piece);
            _heldArguments += piece.Length;
            return true;
        }

        private HashSet<int>? _finished;

        /// <summary>Marks a choice finished: pieces after it are not held.</summary>
        public void Finish(int choice) => (_finished ??= []).Add(choice);

        public bool HasFinished(int choice) => _finished?.Contains(choice) ?? false;

        /// <summary>The whole arguments of a finished choice's calls, in call order; forgotten after.</summary>
        public List<(int Call, string Arguments)> Release(int choice)
        {
            var released = new List<(int, string)>();
            if (_calls is null)
            {
                return released;
            }

            foreach (var ((held, call), text) in _calls.Where(c => c.Key.Choice == choice).ToList())
            {
                released.Add((call, text.ToString()));
                _heldArguments -= text.Length;
                _calls.Remove((held, call));
            }

            return released;
        }
    }
}
