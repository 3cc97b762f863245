namespace AiGuard.Training.Simulation.Chat;

/// <summary>
/// Attack: collects the model's output distribution. Many diverse prompts, each with
/// <c>logprobs</c> on, <c>top_logprobs</c> 5 to 20 and a handful of tokens at most: the
/// answers are the training signal of a distilled copy, the text itself hardly matters.
/// </summary>
public sealed class LogprobHarvestClient(ChatClientOptions? options = null) : SimulatedChatClient(options)
{
    public override string Family => "logprob-harvest";

    public override bool IsAttack => true;

    protected override IEnumerable<(ChatQuery Query, ChatAnswer Answer)> Generate(IChatVictim victim, Random random)
    {
        var topLogprobs = random.Next(5, ToyChatVictim.MaxTopLogprobs + 1);
        var maxTokens = Pick(random, 1, 1, 2, 4, 8, 16);
        var system = random.NextDouble() < 0.3 ? "You are a helpful assistant." : null;

        // Drawn after the client's settings, so that one seed does not give every family the same pace.
        var pacer = Pacer.AttackTool(random);

        while (true)
        {
            var prompt = Options.Prompts.NextPrompt(random);
            var messages = Messages(system, prompt);
            yield return Send(victim, Query(pacer.Next(random), messages, maxTokens, logprobs: true, topLogprobs: topLogprobs));
        }
    }
}
