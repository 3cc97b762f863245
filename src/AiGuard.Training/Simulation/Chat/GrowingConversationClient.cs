namespace AiGuard.Training.Simulation.Chat;

/// <summary>
/// Benign: a chat front end. Every turn resends the whole conversation: the same long system
/// prompt, every earlier user message and assistant answer, and the new user message, so each
/// request is the previous one plus two messages. A person types between turns (reading, thinking,
/// typing); after a conversation of a few to a few dozen turns, a new one starts later.
/// </summary>
public sealed class GrowingConversationClient(ChatClientOptions? options = null) : SimulatedChatClient(options)
{
    public override string Family => "growing-conversation";

    public override bool IsAttack => false;

    protected override IEnumerable<(ChatQuery Query, ChatAnswer Answer)> Generate(IChatVictim victim, Random random)
    {
        var pacer = Pacer.Manual();
        var system = new ChatMessage("system", PromptGenerator.Instance.NextSystemPrompt(random));
        var stream = random.NextDouble() < 0.8;
        var maxTokens = Pick<int?>(random, null, null, 512, 1024, 2048);
        while (true)
        {
            var turns = 2 + (int)Math.Min(80, -Math.Log(1 - random.NextDouble()) * 8);
            var messages = new List<ChatMessage> { system };
            for (var turn = 0; turn < turns; turn++)
            {
                var prompt = turn == 0 || random.NextDouble() < 0.3 ? Options.Prompts.NextPrompt(random) : PromptGenerator.Instance.NextFollowUp(random);
                pacer.Pause(TypingSeconds(prompt, random));
                messages.Add(new ChatMessage("user", prompt));
                var sent = Send(victim, Query(pacer.Next(random), [.. messages], maxTokens, stream: stream));
                yield return sent;
                messages.Add(new ChatMessage("assistant", sent.Answer.Text));
                pacer.Pause(ReadingSeconds(sent.Answer.Text, random));
            }

            pacer.Pause(Pacer.LogUniform(random, 300, 12 * 3600));
        }
    }

    // Reading (or skimming) the answer at 3 to 8 words a second, then a moment's thought.
    private static double ReadingSeconds(string answer, Random random)
    {
        var words = answer.Count(c => c == ' ') + 1;
        var skimmed = 0.2 + (0.8 * random.NextDouble());
        return (words * skimmed / Pacer.LogUniform(random, 3, 8)) + Pacer.LogUniform(random, 1, 60);
    }

    // Typing at 2 to 7 characters a second; long texts are pasted.
    private static double TypingSeconds(string prompt, Random random) =>
        prompt.Length > 300 ? Pacer.LogUniform(random, 2, 10) : prompt.Length / Pacer.LogUniform(random, 2, 7);
}
