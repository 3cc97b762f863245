namespace AiGuard.Training.Simulation.Chat;

/// <summary>
/// Benign: an application that scores its own confidence. Every request asks for
/// <c>logprobs</c> with <c>top_logprobs</c> 1 to 5 and a short answer, over diverse user inputs
/// under one fixed classification instruction: the legitimate look-alike of logprob harvesting.
/// </summary>
public sealed class LogprobAppClient(ChatClientOptions? options = null) : SimulatedChatClient(options)
{
    private static readonly string[] Instructions =
    [
        "Classify the user's message as one of: question, complaint, praise, request, other. Answer with one word.",
        "Does the following message contain personal data (names, addresses, phone numbers)? Answer yes or no.",
        "Rate how urgent the following message is, from 1 (not urgent) to 5 (critical). Answer with the digit only.",
        "Is the following message on topic for a cooking website? Answer yes or no.",
        "Which department should handle this message: sales, support, billing or legal? Answer with one word.",
        "Answer the user's question briefly.",
    ];

    public override string Family => "logprob-app";

    public override bool IsAttack => false;

    protected override IEnumerable<(ChatQuery Query, ChatAnswer Answer)> Generate(IChatVictim victim, Random random)
    {
        var pacer = random.NextDouble() < 0.5 ? Pacer.Bursty(0.05, 5) : Pacer.Poisson(Pacer.LogUniform(random, 0.01, 2));
        var instruction = Pick(random, Instructions);
        var topLogprobs = random.Next(1, 6);
        var maxTokens = Pick(random, 1, 1, 2, 5, 20, 64);
        while (true)
        {
            var messages = Messages(instruction, Options.Prompts.NextPrompt(random));
            yield return Send(victim, Query(pacer.Next(random), messages, maxTokens, logprobs: true, topLogprobs: topLogprobs));
        }
    }
}
