namespace DemoModel.OpenAi;

/// <summary>One chat message reduced to its role and its text.</summary>
internal sealed record ChatMessage(string Role, string Text);

/// <summary>The parts of a Chat Completions request the demo model acts on.</summary>
internal sealed record ChatRequest(
    string Model,
    IReadOnlyList<ChatMessage> Messages,
    int? MaxTokens,
    int N,
    bool Stream,
    bool IncludeUsage,
    bool Logprobs,
    int TopLogprobs);
