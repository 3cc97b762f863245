using AiGuard.Training.Simulation.Chat;
using static AiGuard.Tests.Training.Simulation.Chat.ChatTraffic;

namespace AiGuard.Tests.Training.Simulation.Chat;

public class ToyChatVictimTests
{
    [Fact]
    public void Same_conversation_gets_the_same_answer_from_the_same_seed()
    {
        var query = Ask("How does compound interest work?", logprobs: true, topLogprobs: 5);

        var first = Victim.Complete(query);
        var again = new ToyChatVictim(seed: 1).Complete(query);

        Assert.Equal(first.Text, again.Text);
        Assert.Equal(first.TopLogprobs!.SelectMany(t => t), again.TopLogprobs!.SelectMany(t => t));
    }

    [Fact]
    public void Different_conversations_and_seeds_get_different_answers()
    {
        var answer = Victim.Complete(Ask("How does compound interest work?")).Text;

        Assert.NotEqual(answer, Victim.Complete(Ask("How does compound interest work")).Text);
        Assert.NotEqual(answer, new ToyChatVictim(seed: 2).Complete(Ask("How does compound interest work?")).Text);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    [InlineData(6)]
    public void Max_tokens_cuts_the_answer_to_that_many_tokens(int maxTokens)
    {
        var full = Victim.Complete(Ask("Write a haiku about autumn rain.")).Text;

        var cut = Victim.Complete(Ask("Write a haiku about autumn rain.", maxTokens, logprobs: true));

        Assert.Equal(maxTokens, cut.TopLogprobs!.Count);
        Assert.StartsWith(cut.Text, full, StringComparison.Ordinal);
        Assert.True(cut.Text.Length < full.Length);
    }

    [Fact]
    public void Answers_without_max_tokens_end_on_their_own_at_realistic_lengths()
    {
        var lengths = Enumerable.Range(0, 40).Select(i => Victim.Complete(Ask($"Question number {i}", logprobs: true)).TopLogprobs!.Count).ToList();

        Assert.All(lengths, n => Assert.InRange(n, 1, 4096));
        Assert.InRange(lengths.Average(), 60, 600);
        Assert.True(lengths.Distinct().Count() > 20);
    }

    [Fact]
    public void Top_logprobs_lists_k_tokens_per_position_most_likely_first_chosen_token_on_top()
    {
        var answer = Victim.Complete(Ask("Tell me a joke", maxTokens: 8, logprobs: true, topLogprobs: 20));

        Assert.Equal(8, answer.TopLogprobs!.Count);
        foreach (var position in answer.TopLogprobs)
        {
            Assert.Equal(20, position.Count);
            var values = position.Values.ToList();
            Assert.Equal(values.OrderByDescending(v => v), values);
            Assert.All(values, v => Assert.True(v < 0));
            Assert.True(values.Sum(Math.Exp) <= 1.000001);
            Assert.True(Victim.Vocabulary.TryGetId(position.Keys.First(), out _));
        }

        Assert.StartsWith(answer.TopLogprobs[0].Keys.First(), answer.Text, StringComparison.Ordinal);
    }

    [Fact]
    public void Logprobs_without_top_logprobs_give_the_chosen_token_only()
    {
        var answer = Victim.Complete(Ask("hello there", maxTokens: 3, logprobs: true));

        Assert.All(answer.TopLogprobs!, position => Assert.Single(position));
    }

    [Fact]
    public void No_logprobs_unless_asked()
    {
        Assert.Null(Victim.Complete(Ask("hello there", maxTokens: 3, topLogprobs: 5)).TopLogprobs);
    }

    [Theory]
    [InlineData(777)]
    [InlineData(4000)]
    [InlineData(3)]
    public void Logit_bias_of_plus_100_makes_a_token_the_top_token(int tokenId)
    {
        var bias = new Dictionary<string, double> { [tokenId.ToString(System.Globalization.CultureInfo.InvariantCulture)] = 100 };

        var answer = Victim.Complete(Ask("What is the capital of France?", maxTokens: 1, logprobs: true, topLogprobs: 5, logitBias: bias));

        var token = Victim.Vocabulary[tokenId];
        Assert.Equal(token, answer.Text);
        Assert.Equal(token, answer.TopLogprobs![0].Keys.First());
    }

    [Fact]
    public void Logit_bias_on_a_batch_reveals_the_batch_in_top_logprobs_as_the_sweep_needs()
    {
        int[] batch = [1200, 1201, 1202, 1203, 1204];
        var bias = batch.ToDictionary(id => id.ToString(System.Globalization.CultureInfo.InvariantCulture), _ => 100.0);

        var answer = Victim.Complete(Ask("Hi", maxTokens: 1, logprobs: true, topLogprobs: 5, logitBias: bias));

        Assert.Equal(batch.Select(id => Victim.Vocabulary[id]).Order(StringComparer.Ordinal), answer.TopLogprobs![0].Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Logit_differences_read_through_logit_bias_are_the_same_in_every_batch_as_the_sweep_relies_on()
    {
        static Dictionary<string, double> Biased(params int[] ids) => ids.ToDictionary(id => id.ToString(System.Globalization.CultureInfo.InvariantCulture), _ => 100.0);
        string reference = Victim.Vocabulary[900], token = Victim.Vocabulary[2500];

        var first = Victim.Complete(Ask("Hi", maxTokens: 1, logprobs: true, topLogprobs: 5, logitBias: Biased(900, 2500, 17, 3000))).TopLogprobs![0];
        var second = Victim.Complete(Ask("Hi", maxTokens: 1, logprobs: true, topLogprobs: 5, logitBias: Biased(900, 2500, 41, 1234, 3999))).TopLogprobs![0];

        Assert.Equal(first[token] - first[reference], second[token] - second[reference], 9);
        Assert.NotEqual(first[token], second[token]);
    }

    [Fact]
    public void Positive_bias_gives_the_same_logprobs_as_a_full_recomputation()
    {
        var fast = new Dictionary<string, double> { ["5"] = 100, ["777"] = 3.5, ["2000"] = 12 };
        var full = new Dictionary<string, double>(fast) { ["4095"] = -1e-12 }; // a negative entry forces the full pass

        var expected = Victim.Complete(Ask("Compare these", maxTokens: 6, logprobs: true, topLogprobs: 20, logitBias: full));
        var actual = Victim.Complete(Ask("Compare these", maxTokens: 6, logprobs: true, topLogprobs: 20, logitBias: fast));

        Assert.Equal(expected.Text, actual.Text);
        foreach (var (e, a) in expected.TopLogprobs!.Zip(actual.TopLogprobs!))
        {
            Assert.Equal(e.Keys, a.Keys);
            Assert.All(e.Keys, key => Assert.Equal(e[key], a[key], 9));
        }
    }

    [Fact]
    public void Logit_bias_of_minus_100_bans_the_usual_first_token()
    {
        var usual = Victim.Complete(Ask("Tell me a joke", maxTokens: 1)).Text;
        Assert.True(Victim.Vocabulary.TryGetId(usual, out var id));
        var bias = new Dictionary<string, double> { [id.ToString(System.Globalization.CultureInfo.InvariantCulture)] = -100 };

        var banned = Victim.Complete(Ask("Tell me a joke", maxTokens: 1, logitBias: bias)).Text;

        Assert.NotEqual(usual, banned);
    }

    [Theory]
    [InlineData("abc", 10)]
    [InlineData("99999", 10)]
    [InlineData("05", 10)]
    [InlineData("5", 101)]
    public void Invalid_logit_bias_is_refused(string key, double value)
    {
        var query = Ask("hi there", maxTokens: 1, logitBias: new Dictionary<string, double> { [key] = value });

        Assert.Throws<ArgumentException>(() => Victim.Complete(query));
    }

    [Fact]
    public void Vocabulary_tokens_are_distinct_so_text_names_the_id()
    {
        var vocabulary = Victim.Vocabulary;

        Assert.Equal(ToyVocabulary.DefaultSize, vocabulary.Count);
        Assert.Equal(vocabulary.Count, Enumerable.Range(0, vocabulary.Count).Select(i => vocabulary[i]).Distinct(StringComparer.Ordinal).Count());
        Assert.True(vocabulary.TryGetId(vocabulary[2345], out var id) && id == 2345);
    }
}
