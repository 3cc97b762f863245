namespace AiGuard.Protocols;

/// <summary>The protocol-neutral view of a model's answer that output guards read.</summary>
public sealed class InferenceResponse
{
    public required string Protocol { get; init; }

    public string? Model { get; init; }

    /// <summary>Per instance, the class probabilities or scores (row-major, one array per row).</summary>
    public IReadOnlyList<float[]> Scores { get; init; } = [];

    /// <summary>Generated text, one entry per choice (for a stream: the delta of this chunk).</summary>
    public IReadOnlyList<GeneratedText> Texts { get; init; } = [];

    /// <summary>Token usage reported by the upstream, when it did.</summary>
    public TokenUsage? Usage { get; init; }

    /// <summary>True when this view is one SSE chunk rather than a whole response.</summary>
    public bool IsStreamChunk { get; init; }

    /// <summary>True for the <c>[DONE]</c> sentinel that ends an OpenAI stream.</summary>
    public bool IsEndOfStream { get; init; }
}

/// <summary>Text produced for one choice.</summary>
public sealed record GeneratedText(int Index, string Text, string? FinishReason, bool HasLogprobs);

/// <summary>Tokens counted by the upstream.</summary>
public sealed record TokenUsage(long PromptTokens, long CompletionTokens, long TotalTokens);
