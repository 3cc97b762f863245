namespace AiGuard.Training.Simulation.Chat;

/// <summary>
/// Benign: an evaluation harness. A fixed set of 50 to 200 prompts replayed in the same order at
/// script speed, run after run (nightly, per model version). Multiple-choice suites ask for one
/// token with log-probabilities, as harnesses score the letters; generation suites ask for longer
/// answers, some with <c>logprobs</c> too.
/// </summary>
public sealed class EvalReplayClient(ChatClientOptions? options = null) : SimulatedChatClient(options)
{
    private static readonly string[] SystemPrompts =
        ["You are a helpful assistant.", "Answer the question. Be concise.", "You are taking a test. Choose the best answer."];

    public override string Family => "eval-replay";

    public override bool IsAttack => false;

    protected override IEnumerable<(ChatQuery Query, ChatAnswer Answer)> Generate(IChatVictim victim, Random random)
    {
        var pacer = Pacer.Manual();
        var rate = Pacer.LogUniform(random, 0.5, 5);
        var multipleChoice = random.NextDouble() < 0.35;
        var count = random.Next(50, 201);
        var prompts = new string[count];
        for (var i = 0; i < count; i++)
        {
            prompts[i] = multipleChoice ? PromptGenerator.Instance.NextMultipleChoice(random) : Options.Prompts.NextPrompt(random);
        }

        var system = random.NextDouble() < 0.4 ? Pick(random, SystemPrompts) : null;
        var logprobs = random.NextDouble() < (multipleChoice ? 0.7 : 0.2);
        int? topLogprobs = logprobs ? random.Next(1, 11) : null;
        var maxTokens = multipleChoice ? Pick(random, 1, 1, 5) : Pick(random, 256, 512, 1024, 2048);
        while (true)
        {
            foreach (var prompt in prompts)
            {
                var messages = Messages(system, prompt);
                yield return Send(victim, Query(pacer.Next(random), messages, maxTokens, logprobs, topLogprobs));
                pacer.Pause((1 / rate) * (0.7 + (0.6 * random.NextDouble())));
            }

            // The next run: the next night, or the next model version to compare.
            pacer.Pause(Pacer.LogUniform(random, 3600, 24 * 3600));
        }
    }
}
