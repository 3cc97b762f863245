namespace AiGuard.Training.Simulation.Chat;

/// <summary>
/// Benign: a health check or synthetic monitor. One fixed tiny prompt with a tiny
/// <c>max_tokens</c>, at a fixed period with a little scheduler jitter, forever: the same
/// request thousands of times, like a sweep without its bias.
/// </summary>
public sealed class MonitoringProbeClient(ChatClientOptions? options = null) : SimulatedChatClient(options)
{
    private static readonly string[] Probes =
    [
        "Say OK.", "Reply with the single word: pong", "What is 2+2?", "health check", "Respond with OK if you are working.",
        "ping, please answer pong", "Return the word 'alive'.",
    ];

    public override string Family => "monitoring-probe";

    public override bool IsAttack => false;

    protected override IEnumerable<(ChatQuery Query, ChatAnswer Answer)> Generate(IChatVictim victim, Random random)
    {
        var period = Pick(random, 10.0, 15.0, 30.0, 60.0, 60.0, 120.0, 300.0);
        var pacer = Pacer.Periodic(period, period * 0.02);
        var messages = Messages(null, Pick(random, Probes));
        var maxTokens = Pick(random, 1, 1, 2, 5, 10, 16);
        while (true)
        {
            yield return Send(victim, Query(pacer.Next(random), messages, maxTokens));
        }
    }
}
