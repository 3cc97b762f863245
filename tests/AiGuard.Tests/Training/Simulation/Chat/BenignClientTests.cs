using AiGuard.Training.Simulation;
using AiGuard.Training.Simulation.Chat;
using static AiGuard.Tests.Training.Simulation.Chat.ChatTraffic;

namespace AiGuard.Tests.Training.Simulation.Chat;

public class BenignClientTests
{
    [Fact]
    public void Growing_conversation_resends_the_whole_conversation_plus_the_answer_and_a_new_message()
    {
        var run = Run("growing-conversation", seed: 1, maxQueries: 120);

        var system = run[0].Query.Messages[0];
        Assert.Equal("system", system.Role);
        Assert.True(system.Content.Length >= 300);
        var extended = 0;
        foreach (var (previous, next) in run.Zip(run.Skip(1)))
        {
            var messages = next.Query.Messages;
            Assert.Equal(system, messages[0]);
            if (messages.Count == 2)
            {
                continue; // a new conversation with the same system prompt
            }

            Assert.Equal(previous.Query.Messages, messages.Take(messages.Count - 2));
            Assert.Equal(new ChatMessage("assistant", previous.Answer.Text), messages[^2]);
            Assert.Equal("user", messages[^1].Role);
            extended++;
        }

        Assert.True(extended > 100, $"only {extended} turns extended a conversation");
    }

    [Fact]
    public void Templated_app_shares_one_long_prefix_and_changes_only_the_tail()
    {
        var prompts = Run("templated-app", seed: 2, maxQueries: 60).Select(e => LastUser(e.Query)).ToList();

        var shared = prompts.Aggregate((a, b) => a[..CommonPrefixLength(a, b)]);
        Assert.True(shared.Length >= 500, $"shared prefix of {shared.Length} characters");
        Assert.All(prompts, p => Assert.True(p.Length - shared.Length <= 620));
        Assert.True(prompts.Distinct().Count() > 50);
    }

    [Fact]
    public void Retry_resends_each_request_identically_one_to_three_times_after_a_pause()
    {
        var run = Run("retry", seed: 3, maxQueries: 100).Select(e => e.Query).ToList();

        var groups = new List<List<ChatQuery>>();
        foreach (var query in run)
        {
            if (groups.Count > 0 && Content(groups[^1][0]) == Content(query))
            {
                groups[^1].Add(query);
            }
            else
            {
                groups.Add([query]);
            }
        }

        Assert.All(groups.SkipLast(1), g => Assert.InRange(g.Count, 2, 4));
        Assert.All(groups, g => Assert.All(g.Zip(g.Skip(1)), pair => Assert.True(pair.Second.Seconds - pair.First.Seconds >= 0.9)));
        Assert.True(groups.Count > 20);
    }

    [Fact]
    public void Monitoring_probe_sends_one_fixed_request_at_a_fixed_period()
    {
        var run = Run("monitoring-probe", seed: 4, maxQueries: 50).Select(e => e.Query).ToList();

        Assert.Single(run.Select(Content).Distinct());
        var gaps = run.Zip(run.Skip(1), (a, b) => b.Seconds - a.Seconds).ToList();
        Assert.True(gaps.Max() - gaps.Min() <= 0.05 * gaps.Average());
    }

    [Fact]
    public void Eval_replay_replays_the_same_prompts_in_the_same_order()
    {
        var prompts = Run("eval-replay", seed: 5, maxQueries: 450).Select(e => LastUser(e.Query)).ToList();

        var size = prompts.Skip(1).ToList().IndexOf(prompts[0]) + 1;
        Assert.InRange(size, 50, 200);
        for (var i = size; i < prompts.Count; i++)
        {
            Assert.Equal(prompts[i - size], prompts[i]);
        }
    }

    [Fact]
    public void Eval_replay_runs_with_logprobs_on_sometimes()
    {
        var withLogprobs = Enumerable.Range(0, 20).Count(seed => Run("eval-replay", seed, 1)[0].Query.Logprobs);

        Assert.InRange(withLogprobs, 1, 19);
    }

    [Fact]
    public void One_off_sends_a_single_request()
    {
        Assert.Single(Run("one-off", seed: 6, maxQueries: 100));
    }

    [Fact]
    public void Heavy_user_sends_diverse_prompts_in_bursts()
    {
        var run = Run("heavy-user", seed: 7, maxQueries: 300);

        Assert.True(run.Select(e => LastUser(e.Query)).Distinct().Count() > 250);
        var gaps = run.Zip(run.Skip(1), (a, b) => b.Query.Seconds - a.Query.Seconds).ToList();
        Assert.Contains(gaps, g => g < 10);
        Assert.Contains(gaps, g => g > 60);
    }

    [Fact]
    public void Logprob_app_always_asks_top_1_to_5_logprobs_on_diverse_inputs()
    {
        var run = Run("logprob-app", seed: 8, maxQueries: 60);

        Assert.All(run, e =>
        {
            Assert.True(e.Query.Logprobs);
            Assert.InRange(e.Query.TopLogprobs!.Value, 1, 5);
        });
        Assert.Single(run.Select(e => e.Query.Messages[0].Content).Distinct());
        Assert.True(run.Select(e => LastUser(e.Query)).Distinct().Count() > 50);
    }

    private static int CommonPrefixLength(string a, string b)
    {
        var n = 0;
        while (n < a.Length && n < b.Length && a[n] == b[n])
        {
            n++;
        }

        return n;
    }
}
