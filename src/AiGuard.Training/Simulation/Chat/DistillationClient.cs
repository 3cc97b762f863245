namespace AiGuard.Training.Simulation.Chat;

/// <summary>
/// Attack: distillation at volume. Many diverse prompts with a large <c>max_tokens</c> (1,000 to
/// 4,000), one fixed system prompt or none, at tool speed: the answers become a training set for
/// a copy. Some runs also ask for log-probabilities (soft labels).
/// </summary>
public sealed class DistillationClient(ChatClientOptions? options = null) : SimulatedChatClient(options)
{
    private static readonly string[] SystemPrompts =
    [
        "You are a helpful assistant.",
        "You are a helpful, knowledgeable assistant. Answer thoroughly, step by step, and show your reasoning.",
        "Answer the following instruction as completely and accurately as you can.",
    ];

    public override string Family => "distillation";

    public override bool IsAttack => true;

    protected override IEnumerable<(ChatQuery Query, ChatAnswer Answer)> Generate(IChatVictim victim, Random random)
    {
        var system = random.NextDouble() < 0.6 ? Pick(random, SystemPrompts) : null;
        var fixedMaxTokens = random.NextDouble() < 0.7 ? Pick(random, 1000, 1024, 2000, 2048, 4000, 4096) : (int?)null;
        var logprobs = random.NextDouble() < 0.2;
        int? topLogprobs = logprobs ? random.Next(5, ToyChatVictim.MaxTopLogprobs + 1) : null;

        // Drawn after the client's settings, so that one seed does not give every family the same pace.
        var pacer = Pacer.AttackTool(random);

        while (true)
        {
            var prompt = Options.Prompts.NextPrompt(random);
            var maxTokens = fixedMaxTokens ?? random.Next(1000, 4001);
            var messages = Messages(system, prompt);
            yield return Send(victim, Query(pacer.Next(random), messages, maxTokens, logprobs, topLogprobs));
        }
    }
}
