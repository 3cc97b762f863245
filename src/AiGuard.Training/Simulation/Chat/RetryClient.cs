namespace AiGuard.Training.Simulation.Chat;

/// <summary>
/// Benign: a client behind a flaky connection or a short timeout. Each request is sent again,
/// byte for byte, one to three times after a pause (a fixed timeout or an exponential back-off),
/// then the user moves on to something else.
/// </summary>
public sealed class RetryClient(ChatClientOptions? options = null) : SimulatedChatClient(options)
{
    public override string Family => "retry";

    public override bool IsAttack => false;

    protected override IEnumerable<(ChatQuery Query, ChatAnswer Answer)> Generate(IChatVictim victim, Random random)
    {
        var pacer = Pacer.Manual();
        var between = Pacer.LogUniform(random, 0.002, 0.05);
        var backoff = Pick(random, 1.0, 2.0, 5.0, 30.0, 60.0);
        var exponential = random.NextDouble() < 0.5;
        var maxTokens = Pick<int?>(random, null, 512, 1024, 2048);
        var stream = random.NextDouble() < 0.3;
        var system = random.NextDouble() < 0.4 ? PromptGenerator.Instance.NextSystemPrompt(random) : null;
        while (true)
        {
            var prompt = Options.Prompts.NextPrompt(random);
            var messages = Messages(system, prompt);
            var query = Query(pacer.Next(random), messages, maxTokens, stream: stream);
            yield return Send(victim, query);

            var retries = random.Next(1, 4);
            for (var attempt = 0; attempt < retries; attempt++)
            {
                var wait = backoff * (exponential ? Math.Pow(2, attempt) : 1);
                pacer.Pause(wait * (0.9 + (0.2 * random.NextDouble())));
                yield return Send(victim, query with { Seconds = pacer.Next(random) });
            }

            pacer.Pause(-Math.Log(1 - random.NextDouble()) / between);
        }
    }
}
