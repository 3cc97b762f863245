namespace AiGuard.Training.Simulation.Chat;

/// <summary>
/// Benign: an application with one fixed prompt template (instructions and worked examples,
/// 500 to 2,000 characters) that appends each item's data at the end: a triage bot, a product
/// describer, an extractor. Same long prefix, a changing tail, often a short structured record
/// that differs from the previous in a few words: the hardest benign look-alike of a suffix search.
/// </summary>
public sealed class TemplatedAppClient(ChatClientOptions? options = null) : SimulatedChatClient(options)
{
    public override string Family => "templated-app";

    public override bool IsAttack => false;

    protected override IEnumerable<(ChatQuery Query, ChatAnswer Answer)> Generate(IChatVictim victim, Random random)
    {
        var pacer = random.NextDouble() < 0.5 ? Pacer.Bursty(0.05, 5) : Pacer.Poisson(Pacer.LogUniform(random, 0.02, 2));
        var template = PromptGenerator.Instance.NextAppTemplate(random);
        var records = random.NextDouble() < 0.5;
        var maxTokens = Pick(random, 16, 64, 128, 256, 512);
        var system = random.NextDouble() < 0.3 ? "You are a precise assistant that follows the output format exactly." : null;
        while (true)
        {
            var data = records ? PromptGenerator.Instance.NextRecord(random) : Options.Prompts.NextPrompt(random);
            if (data.Length > 600)
            {
                data = data[..600];
            }

            var prompt = template + data + "\nOutput:";
            var messages = Messages(system, prompt);
            yield return Send(victim, Query(pacer.Next(random), messages, maxTokens));
        }
    }
}
