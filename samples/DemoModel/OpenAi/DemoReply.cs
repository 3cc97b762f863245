namespace DemoModel.OpenAi;

/// <summary>The deterministic answer of the demo chat model: a function of the last user message only.</summary>
internal static class DemoReply
{
    public const int SnippetLength = 60;

    // Long enough that every reasonable max_tokens test can truncate it.
    private const string Filler =
        "This answer comes from the AiGuard demo model. It is deterministic, so the gateway tests can predict "
        + "every token, every usage count and every streamed chunk, and it is long enough to be cut short by max_tokens.";

    public static string For(IReadOnlyList<ChatMessage> messages)
    {
        var lastUser = messages.LastOrDefault(m => m.Role == "user")?.Text ?? string.Empty;
        return $"Demo reply to: {Snippet(lastUser)}. {Filler}";
    }

    private static string Snippet(string text)
    {
        if (text.Length <= SnippetLength)
        {
            return text;
        }

        var length = char.IsHighSurrogate(text[SnippetLength - 1]) ? SnippetLength - 1 : SnippetLength;
        return text[..length];
    }
}
