using System.Globalization;
using AiGuard.Training.Simulation.Chat;
using static AiGuard.Tests.Training.Simulation.Chat.ChatTraffic;

namespace AiGuard.Tests.Training.Simulation.Chat;

public class AttackClientTests
{
    [Fact]
    public void Logprob_harvest_asks_top_5_to_20_logprobs_for_a_few_tokens_on_varied_prompts()
    {
        var run = Run("logprob-harvest", seed: 1, maxQueries: 50);

        Assert.All(run, e =>
        {
            Assert.True(e.Query.Logprobs);
            Assert.InRange(e.Query.TopLogprobs!.Value, 5, 20);
            Assert.InRange(e.Query.MaxTokens!.Value, 1, 16);
        });
        Assert.True(run.Select(e => LastUser(e.Query)).Distinct().Count() > 40);
    }

    [Fact]
    public void Logit_bias_sweep_repeats_one_prompt_with_a_new_batch_of_biased_token_ids_each_query()
    {
        var run = Run("logit-bias-sweep", seed: 2, maxQueries: 300).Select(e => e.Query).ToList();

        var prompt = run[0].Messages;
        var sweep = run.TakeWhile(q => Content(q with { LogitBias = null }) == Content(run[0] with { LogitBias = null })).ToList();
        Assert.True(sweep.Count >= 200, $"only {sweep.Count} queries on the first prompt");
        Assert.All(sweep, q =>
        {
            Assert.Equal(1, q.MaxTokens);
            Assert.True(q.Logprobs);
            Assert.Equal(prompt, q.Messages);
        });

        var biased = sweep.Skip(1).Select(q => q.LogitBias!).ToList();
        Assert.Null(sweep[0].LogitBias);
        var k = sweep[0].TopLogprobs!.Value;
        Assert.All(biased.SkipLast(1), bias => Assert.Equal(k, bias.Count));
        Assert.All(biased, bias => Assert.All(bias.Values, value => Assert.Equal(100, value)));

        // One reference token stays; the others walk the vocabulary without repeating.
        var reference = biased.Select(b => b.Keys.ToHashSet()).Aggregate((a, b) => [.. a.Intersect(b)]);
        Assert.Single(reference);
        var walked = biased.SelectMany(b => b.Keys).Where(k => !reference.Contains(k)).ToList();
        Assert.Equal(walked.Count, walked.Distinct().Count());
        Assert.All(walked, k => Assert.InRange(int.Parse(k, CultureInfo.InvariantCulture), 0, ToyVocabulary.DefaultSize - 1));
    }

    [Fact]
    public void Logit_bias_sweep_covers_the_vocabulary_then_moves_to_another_prompt()
    {
        var run = Run("logit-bias-sweep", seed: 4, maxQueries: 1200).Select(e => e.Query).ToList();

        var first = LastUser(run[0]);
        var sweepLength = run.FindIndex(q => LastUser(q) != first);
        Assert.True(sweepLength > 0, "the sweep never moved on");
        var covered = run.Take(sweepLength).Where(q => q.LogitBias is not null).SelectMany(q => q.LogitBias!.Keys).Distinct().Count();
        Assert.Equal(ToyVocabulary.DefaultSize, covered);
    }

    [Fact]
    public void Suffix_search_keeps_the_request_and_changes_one_or_two_suffix_tokens_per_candidate()
    {
        var prompts = Run("suffix-search", seed: 3, maxQueries: 200).Select(e => LastUser(e.Query)).ToList();

        var request = SuffixSearchClient.RequestOf(prompts[0]);
        Assert.NotNull(request);
        var suffixes = prompts.Select(p => SuffixSearchClient.SuffixOf(p, request)).ToList();
        Assert.All(suffixes, s => Assert.InRange(s.Length, 16, 25));
        Assert.All(suffixes, s => Assert.Equal(suffixes[0].Length, s.Length));
        Assert.All(suffixes[0], token => Assert.Equal("!", token));

        // Each candidate is the best suffix so far, an earlier query, with one or two tokens swapped.
        for (var i = 1; i < suffixes.Count; i++)
        {
            var nearest = suffixes.Take(i).Min(earlier => earlier.Zip(suffixes[i]).Count(p => p.First != p.Second));
            Assert.InRange(nearest, 1, 2);
        }

        Assert.True(suffixes.Distinct(new TokensComparer()).Count() > 150);
    }

    [Fact]
    public void Distillation_asks_for_long_answers_to_many_different_prompts()
    {
        var run = Run("distillation", seed: 5, maxQueries: 40);

        Assert.All(run, e => Assert.InRange(e.Query.MaxTokens!.Value, 1000, 4096));
        Assert.True(run.Select(e => LastUser(e.Query)).Distinct().Count() > 30);
    }

    [Fact]
    public void Prompt_probing_sends_short_leak_requests_each_a_small_edit_of_the_last()
    {
        var prompts = Run("prompt-probing", seed: 6, maxQueries: 100).Select(e => LastUser(e.Query)).ToList();

        Assert.All(prompts, p => Assert.InRange(p.Length, 10, 200));
        Assert.All(prompts.Zip(prompts.Skip(1)), pair => Assert.NotEqual(pair.First, pair.Second));
        Assert.Contains(prompts, p => p.Contains("instructions", StringComparison.OrdinalIgnoreCase) || p.Contains("prompt", StringComparison.OrdinalIgnoreCase));
        Assert.True(prompts.Distinct().Count() > 80);
    }

    private sealed class TokensComparer : IEqualityComparer<string[]>
    {
        public bool Equals(string[]? x, string[]? y) => x!.SequenceEqual(y!);

        public int GetHashCode(string[] obj) => string.Join(' ', obj).GetHashCode(StringComparison.Ordinal);
    }
}
