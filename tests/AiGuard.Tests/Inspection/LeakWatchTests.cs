using System.Text;
using AiGuard.Inspection.Output;

namespace AiGuard.Tests.Inspection;

public class LeakWatchTests
{
    private const string SystemPrompt =
        "You are the support assistant of Contoso Bank. Never reveal internal fee schedules. "
        + "Escalate fraud reports to a human agent and do not discuss other customers' accounts under any circumstances.";

    private static PromptLeakPolicy Policy(params string[] canaries) => new(new PromptLeakOptions { Canaries = [.. canaries], SystemPrompts = [SystemPrompt] });

    /// <summary>Streams the answer in pieces; returns what was sent and the leak, if one was found.</summary>
    private static (string Sent, string? Leak) Stream(PromptLeakPolicy policy, string answer, int size)
    {
        var watch = new LeakWatch(policy, policy.Prompts);
        var sent = new StringBuilder();
        for (var start = 0; start < answer.Length; start += size)
        {
            var (release, leak) = watch.Push(answer.Substring(start, Math.Min(size, answer.Length - start)), final: start + size >= answer.Length);
            if (leak is not null)
            {
                return (sent.ToString(), leak);
            }

            sent.Append(release);
        }

        return (sent.ToString(), null);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(10)]
    [InlineData(10_000)]
    public void A_canary_split_across_pieces_is_cut_before_any_of_it_is_sent(int size)
    {
        var (sent, leak) = Stream(Policy("CANARY-9f2c41d7"), "Sure! My instructions contain canary-9F2C41D7 and more.", size);

        Assert.NotNull(leak);
        Assert.DoesNotContain("canary", sent, StringComparison.OrdinalIgnoreCase);
        Assert.DoesNotContain("9f2c", sent, StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData(3)]
    [InlineData(50)]
    public void A_verbatim_system_prompt_is_cut_and_at_most_three_of_its_words_reach_the_client(int size)
    {
        var (sent, leak) = Stream(Policy(), "My instructions say: " + SystemPrompt, size);

        Assert.Equal("the route's system prompt", leak);
        Assert.StartsWith("My instructions say:", sent, StringComparison.Ordinal);
        Assert.True(sent.Length <= "My instructions say: You are the ".Length, sent);
    }

    [Fact]
    public void A_near_copy_with_changed_words_is_still_a_leak()
    {
        var near = "you are the support assistant of contoso bank. never reveal the internal fee schedules! "
            + "escalate all fraud reports to a human agent, and do not discuss other customers accounts in any circumstances";

        var (_, leak) = Stream(Policy(), near, 7);

        Assert.NotNull(leak);
    }

    [Fact]
    public void An_answer_about_the_same_topic_in_other_words_passes_whole()
    {
        const string Answer = "I am the Contoso Bank assistant. For a suspected fraud I will connect you to a human agent right away; "
            + "I cannot share details of fee schedules here, but the public price list is on the website.";

        var (sent, leak) = Stream(Policy("CANARY-9f2c41d7"), Answer, 3);

        Assert.Null(leak);
        Assert.Equal(Answer, sent);
    }

    [Fact]
    public void A_short_quote_of_the_prompt_passes()
    {
        const string Answer = "As the support assistant of Contoso Bank I can help with cards and transfers.";

        var (sent, leak) = Stream(Policy(), Answer, 4);

        Assert.Null(leak);
        Assert.Equal(Answer, sent);
    }

    [Fact]
    public void Prompts_too_short_to_have_a_sequence_protect_nothing_and_long_ones_leak_at_a_dozen_sequences()
    {
        Assert.Equal(0, PromptSequences.Of("Be nice.", 0.5).Threshold);
        var longPrompt = string.Join(' ', Enumerable.Range(0, 400).Select(i => "word" + i));
        Assert.Equal(PromptLeakPolicy.MaxRepeatedSequences, PromptSequences.Of(longPrompt, 0.5).Threshold);
    }
    [Fact]
    public void A_stream_in_pieces_of_any_size_finds_what_the_whole_answer_check_finds()
    {
        // Seeded answers mixing runs of the prompt's words (in order, so they form its sequences)
        // with other words, with varied case and punctuation: streamed in pieces of 1, 2, 3, 7 and
        // 40 characters, the watch must reach the verdict of the whole-answer check, and every
        // character of an answer without a leak must reach the client.
        var policy = Policy();
        var promptWords = SystemPrompt.Split(' ');
        string[] others = ["refund", "card", "today", "Thanks", "the", "of", "agent", "and", "fee", "42"];
        var random = new Random(20261128);
        var leaks = 0;
        for (var round = 0; round < 300; round++)
        {
            var answer = new StringBuilder();
            for (var part = random.Next(1, 8); part > 0; part--)
            {
                if (random.Next(2) == 0)
                {
                    var start = random.Next(promptWords.Length);
                    foreach (var word in promptWords.Skip(start).Take(random.Next(1, 21)))
                    {
                        answer.Append(random.Next(4) == 0 ? word.ToUpperInvariant() : word).Append(random.Next(5) == 0 ? ", " : " ");
                    }
                }
                else
                {
                    for (var n = random.Next(1, 6); n > 0; n--)
                    {
                        answer.Append(others[random.Next(others.Length)]).Append(random.Next(4) == 0 ? ". " : " ");
                    }
                }
            }

            var text = answer.ToString();
            var whole = LeakWatch.Check(policy, policy.Prompts, text);
            leaks += whole is null ? 0 : 1;
            foreach (var size in new[] { 1, 2, 3, 7, 40 })
            {
                var (sent, leak) = Stream(policy, text, size);
                Assert.True(whole == leak, $"size {size}: whole '{whole}', stream '{leak}' for: {text}");
                if (leak is null)
                {
                    Assert.Equal(text, sent);
                }
            }
        }

        // Both verdicts occur, so the comparison is not between two always-empty answers.
        Assert.InRange(leaks, 30, 270);
    }
}
