using AiGuard.Identity;
using AiGuard.Limits;
using AiGuard.Protocols;

namespace AiGuard.Tests.Limits;

/// <summary>Prompt token counts, and the counts of a client's long messages remembered across turns.</summary>
public class PromptTokenCounterTests
{
    private static readonly ClientIdentity Alice = new("alice", "key-a", "acme", [], ["*"], ["*"]);
    private static readonly ClientIdentity Bob = new("bob", "key-b", "acme", [], ["*"], ["*"]);

    private static readonly string SystemPrompt = string.Join(' ', Enumerable.Range(0, 60).Select(i => $"Rule {i}: answer support questions about invoices politely."));

    private static InferenceRequest Chat(params string[] messages) => new()
    {
        Protocol = ProtocolNames.OpenAi,
        Operation = "chat.completions",
        Model = "demo-chat",
        Inputs = [.. messages.Select((m, i) => new TextInput($"messages[{i}].content", i == 0 ? "system" : "user", m))],
    };

    [Fact]
    public void A_prompt_counts_each_message_with_its_framing_and_the_priming_of_the_answer()
    {
        var counter = new PromptTokenCounter();
        var tokenizer = counter.Tokenizer(PromptTokenCounter.DefaultEncoding);

        var count = counter.Count(Chat("You are terse.", "What is an invoice?"), PromptTokenCounter.DefaultEncoding);

        Assert.Equal(3 + 3 + tokenizer.CountTokens("You are terse.") + 3 + tokenizer.CountTokens("What is an invoice?"), count);
    }

    [Fact]
    public void A_long_message_a_client_sends_again_is_counted_once_and_gives_the_same_count()
    {
        var counter = new PromptTokenCounter();
        var cache = counter.Cache(PromptTokenCounter.DefaultEncoding);

        var first = counter.Count(Chat(SystemPrompt, "First question?"), PromptTokenCounter.DefaultEncoding, Alice);
        var second = counter.Count(Chat(SystemPrompt, "A different second question?"), PromptTokenCounter.DefaultEncoding, Alice);

        // The system prompt was counted on the first turn and remembered; the short questions are counted every time.
        Assert.Equal(1, cache.Hits);
        Assert.Equal(1, cache.Misses);
        Assert.Equal(counter.Count(Chat(SystemPrompt, "First question?"), PromptTokenCounter.DefaultEncoding), first);
        Assert.Equal(counter.Count(Chat(SystemPrompt, "A different second question?"), PromptTokenCounter.DefaultEncoding), second);
    }

    [Fact]
    public void Another_client_or_another_encoding_does_not_reuse_a_count()
    {
        var counter = new PromptTokenCounter();

        var alice = counter.Count(Chat(SystemPrompt), PromptTokenCounter.DefaultEncoding, Alice);
        var bob = counter.Count(Chat(SystemPrompt), PromptTokenCounter.DefaultEncoding, Bob);
        var cl100k = counter.Count(Chat(SystemPrompt), "cl100k_base", Alice);

        Assert.Equal(alice, bob);
        Assert.Equal(0, counter.Cache(PromptTokenCounter.DefaultEncoding).Hits);
        Assert.Equal(2, counter.Cache(PromptTokenCounter.DefaultEncoding).Misses);
        Assert.Equal(1, counter.Cache("cl100k_base").Misses);
        Assert.Equal(3 + 3 + counter.Tokenizer("cl100k_base").CountTokens(SystemPrompt), cl100k);
    }

    [Fact]
    public void Short_messages_and_requests_without_a_client_are_not_cached()
    {
        var counter = new PromptTokenCounter();

        counter.Count(Chat("Short system prompt.", "Short question?"), PromptTokenCounter.DefaultEncoding, Alice);
        counter.Count(Chat(SystemPrompt), PromptTokenCounter.DefaultEncoding);
        counter.Count(Chat(SystemPrompt), PromptTokenCounter.DefaultEncoding);

        Assert.Equal(0, counter.Cache(PromptTokenCounter.DefaultEncoding).Hits);
        Assert.Equal(0, counter.Cache(PromptTokenCounter.DefaultEncoding).Misses);
    }
}
