namespace AiGuard.Protocols;

/// <summary>The protocol-neutral view of a model's answer that response stages read and change.</summary>
/// <remarks>
/// A stage changes the answer by changing this view (an output's values, a text); the adapter
/// then writes exactly those changes back into the upstream's bytes, leaving everything else as
/// the upstream sent it.
/// </remarks>
public sealed class InferenceResponse
{
    public required string Protocol { get; init; }

    public string? Model { get; init; }

    /// <summary>Numeric outputs (class probabilities, scores), values flattened in row-major order.</summary>
    public IReadOnlyList<OutputTensor> Outputs { get; init; } = [];

    /// <summary>Generated text, one entry per choice (for a stream: the delta of this event).</summary>
    public IReadOnlyList<GeneratedText> Texts { get; init; } = [];

    /// <summary>
    /// The arguments of the tool calls the model makes (<c>message.tool_calls[j].function.arguments</c>
    /// and the legacy <c>function_call.arguments</c>), one entry per call; in a stream event, the
    /// pieces it carries (<c>delta.tool_calls[j].function.arguments</c>). <see cref="GeneratedText.Index"/>
    /// is the choice's, <see cref="GeneratedText.Call"/> the call's, <see cref="GeneratedText.Member"/> names it.
    /// </summary>
    public IReadOnlyList<GeneratedText> ToolCallArguments { get; init; } = [];

    /// <summary>Token usage reported by the upstream, when it did.</summary>
    public TokenUsage? Usage { get; init; }

    /// <summary>True when this view is one SSE event rather than a whole response.</summary>
    public bool IsStreamChunk { get; internal set; }

    /// <summary>True for the <c>[DONE]</c> sentinel that ends an OpenAI stream.</summary>
    public bool IsEndOfStream { get; init; }

    /// <summary>True when a stage decided that the client must not see this stream event at all.</summary>
    public bool IsSuppressed { get; private set; }

    /// <summary>Drops this stream event from what the client sees (a usage report the client did not ask for).</summary>
    public void Suppress() => IsSuppressed = true;

    /// <summary>Whether a stage changed any output or text.</summary>
    public bool IsModified
    {
        get
        {
            foreach (var output in Outputs)
            {
                if (output.IsModified)
                {
                    return true;
                }
            }

            foreach (var text in Texts)
            {
                if (text.IsModified)
                {
                    return true;
                }
            }

            foreach (var arguments in ToolCallArguments)
            {
                if (arguments.IsModified)
                {
                    return true;
                }
            }

            return false;
        }
    }
}

/// <summary>One numeric output tensor of a response.</summary>
public sealed class OutputTensor
{
    internal OutputTensor(string name, string dataType, long[] shape, double[] values, IReadOnlyList<JsonSegment> segments)
    {
        Name = name;
        DataType = dataType;
        Shape = shape;
        Values = values;
        Segments = segments;
    }

    public string Name { get; }

    /// <summary>Open Inference datatype (<c>FP32</c>...); TF-Serving outputs read as <c>FP64</c>.</summary>
    public string DataType { get; }

    public IReadOnlyList<long> Shape { get; }

    /// <summary>The values, row-major. A stage may change them in place and then call <see cref="MarkModified"/>.</summary>
    public double[] Values { get; }

    public bool IsFloatingPoint => DataType is "FP16" or "FP32" or "FP64";

    /// <summary>Values per row: the last dimension (1 for a vector of one score per instance).</summary>
    public int RowWidth => Shape.Count >= 2 && Shape[^1] > 0 ? (int)Shape[^1] : 1;

    public bool IsModified { get; private set; }

    /// <summary>Where the values sit in the upstream's bytes, for writing changes back.</summary>
    internal IReadOnlyList<JsonSegment> Segments { get; }

    public void MarkModified() => IsModified = true;
}

/// <summary>Text produced for one choice.</summary>
public sealed class GeneratedText
{
    private string _text;

    internal GeneratedText(int index, string text, string? finishReason, bool hasLogprobs, JsonSegment? content)
    {
        Index = index;
        _text = text;
        FinishReason = finishReason;
        HasLogprobs = hasLogprobs;
        Content = content;
    }

    public int Index { get; }

    /// <summary>For tool-call arguments, their member in the choice's message (<c>tool_calls[1].function.arguments</c>); null for the message's text.</summary>
    public string? Member { get; init; }

    /// <summary>For tool-call arguments, the call's index (-1 for a legacy <c>function_call</c>).</summary>
    public int Call { get; init; }

    /// <summary>The member of a message that holds a call's arguments: <c>tool_calls[k].function.arguments</c>, or <c>function_call.arguments</c> for call -1.</summary>
    public static string CallMember(int call) =>
        call < 0 ? "function_call.arguments" : string.Create(System.Globalization.CultureInfo.InvariantCulture, $"tool_calls[{call}].function.arguments");

    /// <summary>
    /// Tool-call arguments a stage adds to this choice's message or delta (the held-back arguments of
    /// a streamed call, written out when the choice finishes), as (call index, arguments).
    /// </summary>
    public IReadOnlyList<(int Call, string Arguments)> AddedToolCalls => _addedToolCalls ?? [];

    private List<(int, string)>? _addedToolCalls;

    /// <summary>Adds a tool call's arguments to this choice's message or delta (<see cref="AddedToolCalls"/>).</summary>
    public void AddToolCall(int call, string arguments)
    {
        (_addedToolCalls ??= []).Add((call, arguments));
        IsModified = true;
    }

    /// <summary>Whether <see cref="Text"/> was changed (as opposed to calls added).</summary>
    internal bool TextChanged { get; private set; }

    /// <summary>Whether the choice's logprobs go (<see cref="DropLogprobs"/>).</summary>
    internal bool LogprobsDropped { get; private set; }

    /// <summary>
    /// Replaces the choice's logprobs by <c>null</c> without changing its text: they may spell out
    /// the tokens of tool-call arguments a stage changed.
    /// </summary>
    public void DropLogprobs()
    {
        if (Logprobs is not null)
        {
            LogprobsDropped = true;
            IsModified = true;
        }
    }

    /// <summary>For tool-call arguments: whether the call named its index (a stream's pieces are matched to their call by it).</summary>
    public bool HasCallIndex { get; init; }

    /// <summary>A <c>tool_calls</c> member of the message whose value is not an array (<c>null</c>), replaced when calls are added.</summary>
    internal JsonSegment? ToolCallsValue { get; init; }

    /// <summary>A <c>function_call</c> member of the message whose value is not an object (<c>null</c>), replaced when a legacy call is added.</summary>
    internal JsonSegment? FunctionCallValue { get; init; }

    /// <summary>The closing brace of a <c>function_call</c> object without arguments (<c>{"name":"pay"}</c>), where added arguments go.</summary>
    internal MessageEnd? FunctionCallEnd { get; init; }

    /// <summary>The closing bracket of the message's <c>tool_calls</c> array, where added calls go when it has one.</summary>
    internal ToolCallsEnd? ToolCallsEnd { get; init; }

    /// <summary>
    /// The text; setting it (for example to redact) changes what the client receives. The
    /// choice's logprobs are then removed too: they spell out the tokens of the original text.
    /// </summary>
    public string Text
    {
        get => _text;
        set
        {
            ArgumentNullException.ThrowIfNull(value);
            if (!string.Equals(value, _text, StringComparison.Ordinal))
            {
                _text = value;
                IsModified = true;
                TextChanged = true;
            }
        }
    }

    public string? FinishReason { get; }

    public bool HasLogprobs { get; }

    public bool IsModified { get; private set; }

    /// <summary>Where the content string sits in the upstream's bytes; null when the choice had no content.</summary>
    internal JsonSegment? Content { get; }

    /// <summary>Where the choice's logprobs object sits, replaced by <c>null</c> when the text changes.</summary>
    internal JsonSegment? Logprobs { get; init; }

    /// <summary>The closing brace of the message or delta object, where a content member is added when there is none.</summary>
    internal MessageEnd? MessageEnd { get; init; }

    /// <summary>Whether a changed text can be written back: into its content string, or as a new member of its message.</summary>
    internal bool IsWritable => Content is not null || MessageEnd is not null;
}

/// <summary>The closing brace of a message object and whether the object has members before it.</summary>
internal readonly record struct MessageEnd(int Position, bool HasMembers);

/// <summary>The closing bracket of a message's <c>tool_calls</c> array and whether the array has elements.</summary>
internal readonly record struct ToolCallsEnd(int Position, bool HasElements);

/// <summary>Tokens counted by the upstream.</summary>
public sealed record TokenUsage(long PromptTokens, long CompletionTokens, long TotalTokens);

/// <summary>A JSON value's place in a body: its byte range and the index of its first value in the view.</summary>
internal readonly record struct JsonSegment(int Start, int End, int FirstValue);
