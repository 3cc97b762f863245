namespace AiGuard.Cli.RedTeam;

/// <summary>The categories of the suite, in the order they run, and their probes.</summary>
internal static class RedTeamSuite
{
    /// <summary>
    /// In run order. The anomaly runs come after the single probes (a client they get hardened or
    /// quarantined would spoil the rest) and the floods come last (the wrong-key burst gets this
    /// address throttled, the valid key included).
    /// </summary>
    public static IReadOnlyList<string> CategoryNames { get; } =
    [
        CredentialProbes.Category,
        BodyProbes.Category,
        InjectionProbes.Category,
        SensitiveDataProbes.Category,
        ParameterProbes.Category,
        AnomalyProbes.Category,
        FloodProbes.Category,
    ];

    public static IReadOnlyList<Probe> For(RedTeamSettings settings) =>
    [
        .. CategoryNames.Where(settings.Categories.Contains).SelectMany(category => category switch
        {
            CredentialProbes.Category => CredentialProbes.All(),
            BodyProbes.Category => BodyProbes.All(),
            InjectionProbes.Category => InjectionProbes.All(),
            SensitiveDataProbes.Category => SensitiveDataProbes.All(settings.Seed),
            ParameterProbes.Category => ParameterProbes.All(),
            AnomalyProbes.Category => AnomalyProbes.All(),
            FloodProbes.Category => FloodProbes.All(),
            _ => throw new ArgumentOutOfRangeException(nameof(settings), category, "unknown category"),
        }),
    ];
}
