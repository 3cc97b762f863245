namespace AiGuard.Training.Simulation.Chat;

/// <summary>
/// Benign: a power user or an internal tool with hundreds to thousands of diverse requests in
/// bursty sessions (up to 5 a second), often with large or no <c>max_tokens</c>: in volume and
/// diversity the closest benign relative of distillation.
/// </summary>
public sealed class HeavyUserClient(ChatClientOptions? options = null) : SimulatedChatClient(options)
{
    public override string Family => "heavy-user";

    public override bool IsAttack => false;

    protected override IEnumerable<(ChatQuery Query, ChatAnswer Answer)> Generate(IChatVictim victim, Random random)
    {
        var pacer = Pacer.Bursty(0.01, 5);
        var systems = new string[random.Next(1, 4)];
        for (var i = 0; i < systems.Length; i++)
        {
            systems[i] = PromptGenerator.Instance.NextSystemPrompt(random);
        }

        var streams = random.NextDouble() < 0.6;
        while (true)
        {
            var prompt = Options.Prompts.NextPrompt(random);
            var messages = Messages(random.NextDouble() < 0.3 ? Pick(random, systems) : null, prompt);
            var maxTokens = Pick<int?>(random, null, null, 256, 512, 1024, 2048, 4096);
            yield return Send(victim, Query(pacer.Next(random), messages, maxTokens, stream: streams && random.NextDouble() < 0.9));
        }
    }
}
