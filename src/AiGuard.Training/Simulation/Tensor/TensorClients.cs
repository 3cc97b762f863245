namespace AiGuard.Training.Simulation.Tensor;

/// <summary>A client family and how to make a client of it.</summary>
public sealed record TensorClientFactory(string Family, bool IsAttack, Func<ITensorClient> Create);

/// <summary>Every built-in simulated client of a classifier route, attacks first, by family name.</summary>
public static class TensorClients
{
    public static IReadOnlyList<TensorClientFactory> All { get; } =
    [
        Factory(() => new HopSkipJumpClient()),
        Factory(() => new BoundaryAttackClient()),
        Factory(() => new SquareAttackClient()),
        Factory(() => new ZooClient()),
        Factory(() => new NesClient()),
        Factory(() => new KnockoffClient()),
        Factory(() => new CopycatClient()),
        Factory(() => new PapernotClient()),
        Factory(() => new RandomProbingClient()),
        Factory(() => new LineSweepClient()),
        Factory(() => new OneOffClient()),
        Factory(() => new BatchScorerClient()),
        Factory(() => new RetryClient()),
        Factory(() => new VideoStreamClient()),
        Factory(() => new MonitoringProbeClient()),
        Factory(() => new EvalReplayClient()),
        Factory(() => new HeavyUserClient()),
        Factory(() => new AbTestClient()),
    ];

    public static ITensorClient Create(string family)
    {
        ArgumentNullException.ThrowIfNull(family);
        foreach (var factory in All)
        {
            if (string.Equals(factory.Family, family, StringComparison.Ordinal))
            {
                return factory.Create();
            }
        }

        throw new ArgumentException($"Unknown tensor client family '{family}'. Known: {string.Join(", ", All.Select(f => f.Family))}.", nameof(family));
    }

    // The family and kind are read from a client once, so the list cannot disagree with the clients.
    private static TensorClientFactory Factory(Func<ITensorClient> create)
    {
        var client = create();
        return new TensorClientFactory(client.Family, client.IsAttack, create);
    }
}
