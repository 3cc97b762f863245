namespace DemoModel.OpenAi;

/// <summary>One generated choice: its tokens and why generation stopped.</summary>
internal sealed record ChatChoice(int Index, IReadOnlyList<string> Tokens, string FinishReason)
{
    public string Content => string.Concat(Tokens);
}

/// <summary>The complete answer to a chat request, computed before anything is written so streamed and non-streamed replies agree.</summary>
internal sealed class ChatCompletion
{
    // Roughly what OpenAI's chat format adds per message and to prime the reply.
    private const int TokensPerMessage = 3;
    private const int ReplyPrimingTokens = 3;

    private ChatCompletion(ChatRequest request, IReadOnlyList<ChatChoice> choices, int promptTokens)
    {
        Request = request;
        Choices = choices;
        PromptTokens = promptTokens;
        CompletionTokens = choices.Sum(c => c.Tokens.Count);
    }

    public string Id { get; } = $"chatcmpl-{Guid.NewGuid():N}";

    public long Created { get; } = DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    public ChatRequest Request { get; }

    public IReadOnlyList<ChatChoice> Choices { get; }

    public int PromptTokens { get; }

    public int CompletionTokens { get; }

    public int TotalTokens => PromptTokens + CompletionTokens;

    public static ChatCompletion Create(ChatRequest request)
    {
        var tokens = DemoTokenizer.Tokenize(DemoReply.For(request.Messages));
        var finishReason = "stop";
        if (request.MaxTokens is { } max && max < tokens.Count)
        {
            tokens = tokens.GetRange(0, max);
            finishReason = "length";
        }

        // Every choice is the same answer: the model is deterministic, whatever the temperature.
        var choices = Enumerable.Range(0, request.N).Select(i => new ChatChoice(i, tokens, finishReason)).ToList();
        var promptTokens = request.Messages.Sum(m => TokensPerMessage + DemoTokenizer.Count(m.Text)) + ReplyPrimingTokens;
        return new ChatCompletion(request, choices, promptTokens);
    }
}
