namespace AiGuard.Training.Simulation.Chat;

/// <summary>Makes one family's client.</summary>
public sealed record ChatClientFactory(string Family, bool IsAttack, Func<ChatClientOptions?, IChatClient> Create);

/// <summary>Every simulated chat client family, attacks first.</summary>
public static class ChatClients
{
    private static readonly Func<ChatClientOptions?, IChatClient>[] Constructors =
    [
        o => new LogprobHarvestClient(o),
        o => new LogitBiasSweepClient(o),
        o => new SuffixSearchClient(o),
        o => new DistillationClient(o),
        o => new PromptProbingClient(o),
        o => new GrowingConversationClient(o),
        o => new TemplatedAppClient(o),
        o => new OneOffClient(o),
        o => new RetryClient(o),
        o => new MonitoringProbeClient(o),
        o => new EvalReplayClient(o),
        o => new HeavyUserClient(o),
        o => new LogprobAppClient(o),
    ];

    public static IReadOnlyList<ChatClientFactory> All { get; } = [.. Constructors.Select(Describe)];

    public static IEnumerable<string> Families => All.Select(f => f.Family);

    /// <exception cref="ArgumentException">No family has that name; the message lists the known ones.</exception>
    public static IChatClient Create(string family, ChatClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(family);
        var factory = All.FirstOrDefault(f => f.Family == family)
            ?? throw new ArgumentException($"Unknown chat client family '{family}'; known: {string.Join(", ", Families)}.", nameof(family));
        return factory.Create(options);
    }

    // Family and IsAttack are read from an instance, so each is written once, in its client.
    private static ChatClientFactory Describe(Func<ChatClientOptions?, IChatClient> create)
    {
        var client = create(null);
        return new ChatClientFactory(client.Family, client.IsAttack, create);
    }
}
