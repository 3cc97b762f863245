using AiGuard.Training.Simulation.Chat;
using static AiGuard.Tests.Training.Simulation.Chat.ChatTraffic;

namespace AiGuard.Tests.Training.Simulation.Chat;

/// <summary>What every family promises: the cap, determinism, laziness, sane requests.</summary>
public class ChatClientsTests
{
    [Fact]
    public void Every_family_is_listed_once_with_its_attack_flag()
    {
        Assert.Equal(
            ["logprob-harvest", "logit-bias-sweep", "suffix-search", "distillation", "prompt-probing"],
            ChatClients.All.Where(f => f.IsAttack).Select(f => f.Family));
        Assert.Equal(
            ["growing-conversation", "templated-app", "one-off", "retry", "monitoring-probe", "eval-replay", "heavy-user", "logprob-app"],
            ChatClients.All.Where(f => !f.IsAttack).Select(f => f.Family));
    }

    [Fact]
    public void Unknown_family_is_refused_with_the_known_ones()
    {
        var error = Assert.Throws<ArgumentException>(() => ChatClients.Create("gcg"));

        Assert.Contains("suffix-search", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Families), MemberType = typeof(ChatTraffic))]
    public void Created_client_has_its_family_name(string family)
    {
        var factory = ChatClients.All.Single(f => f.Family == family);

        var client = ChatClients.Create(family);

        Assert.Equal(family, client.Family);
        Assert.Equal(factory.IsAttack, client.IsAttack);
    }

    [Theory]
    [MemberData(nameof(Families), MemberType = typeof(ChatTraffic))]
    public void Every_family_stops_at_max_queries(string family)
    {
        Assert.Empty(Run(family, seed: 1, maxQueries: 0));
        Assert.Single(Run(family, seed: 1, maxQueries: 1));
        Assert.Equal(family == "one-off" ? 1 : 30, Run(family, seed: 1, maxQueries: 30).Count);
    }

    [Theory]
    [MemberData(nameof(Families), MemberType = typeof(ChatTraffic))]
    public void Every_family_is_deterministic_for_a_seed(string family)
    {
        var first = Run(family, seed: 7, maxQueries: 30).Select(Canonical);
        var again = Run(family, seed: 7, maxQueries: 30).Select(Canonical);
        var other = Run(family, seed: 8, maxQueries: 30).Select(Canonical);

        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Theory]
    [MemberData(nameof(Families), MemberType = typeof(ChatTraffic))]
    public void Every_family_is_lazy_and_asks_the_victim_only_for_what_is_consumed(string family)
    {
        var victim = new ChatTraffic.CountingVictim(Victim);

        var taken = ChatClients.Create(family).Run(victim, new Random(3), 1000).Take(3).ToList();

        Assert.Equal(taken.Count, victim.Calls);
    }

    [Theory]
    [MemberData(nameof(Families), MemberType = typeof(ChatTraffic))]
    public void Every_family_sends_valid_requests_in_time_order_from_zero(string family)
    {
        var run = Run(family, seed: 11, maxQueries: 40);

        Assert.Equal(0, run[0].Query.Seconds);
        Assert.All(run.Zip(run.Skip(1)), pair => Assert.True(pair.Second.Query.Seconds >= pair.First.Query.Seconds));
        Assert.All(run, exchange =>
        {
            var query = exchange.Query;
            Assert.Equal("demo-chat", query.Model);
            Assert.NotEmpty(query.Messages);
            Assert.Equal("user", query.Messages[^1].Role);
            Assert.All(query.Messages, m => Assert.False(string.IsNullOrEmpty(m.Content)));
            Assert.True(query.MaxTokens is null or >= 1);
            Assert.True(query.TopLogprobs is null || (query.Logprobs && query.TopLogprobs is >= 0 and <= 20));
            Assert.Equal(query.Logprobs, exchange.Answer.TopLogprobs is not null);
        });
    }

    [Theory]
    [MemberData(nameof(Families), MemberType = typeof(ChatTraffic))]
    public void Every_family_takes_its_model_name_from_the_options(string family)
    {
        var run = ChatClients.Create(family, new ChatClientOptions { Model = "other-chat" }).Run(Victim, new Random(5), 5).ToList();

        Assert.All(run, e => Assert.Equal("other-chat", e.Query.Model));
    }

    [Theory]
    [InlineData("logprob-harvest")]
    [InlineData("distillation")]
    [InlineData("one-off")]
    [InlineData("retry")]
    [InlineData("heavy-user")]
    [InlineData("logprob-app")]
    public void Families_of_diverse_prompts_draw_them_from_the_configured_source(string family)
    {
        var options = new ChatClientOptions { Prompts = new JsonlPromptSource(["Only prompt from the file."]) };

        var run = ChatClients.Create(family, options).Run(Victim, new Random(5), 5).ToList();

        Assert.All(run, e => Assert.Equal("Only prompt from the file.", LastUser(e.Query)));
    }

    [Fact]
    public void Attack_tools_and_benign_clients_overlap_in_request_rate()
    {
        // Mean rate of each run; the engine must not be able to separate the classes by rate alone.
        double Rate(string family, int seed)
        {
            var run = Run(family, seed, 60);
            return (run.Count - 1) / run[^1].Query.Seconds;
        }

        var sweeps = Enumerable.Range(0, 20).Select(seed => Rate("logit-bias-sweep", seed)).ToList();
        var evaluations = Enumerable.Range(0, 20).Select(seed => Rate("eval-replay", seed)).ToList();

        Assert.Contains(sweeps, rate => rate < 1);
        Assert.Contains(sweeps, rate => rate > 3);
        Assert.Contains(evaluations, rate => rate > sweeps.Min());
    }
}
