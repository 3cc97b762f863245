namespace AiGuard.Training.Simulation.Chat;

/// <summary>Benign: someone trying the API once: a single request, and nothing after it.</summary>
public sealed class OneOffClient(ChatClientOptions? options = null) : SimulatedChatClient(options)
{
    public override string Family => "one-off";

    public override bool IsAttack => false;

    protected override IEnumerable<(ChatQuery Query, ChatAnswer Answer)> Generate(IChatVictim victim, Random random)
    {
        var prompt = Options.Prompts.NextPrompt(random);
        var messages = Messages(random.NextDouble() < 0.3 ? "You are a helpful assistant." : null, prompt);
        yield return Send(victim, Query(0, messages, Pick<int?>(random, null, 100, 256, 1024), stream: random.NextDouble() < 0.4));
    }
}
