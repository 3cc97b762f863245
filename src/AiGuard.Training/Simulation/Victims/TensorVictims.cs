namespace AiGuard.Training.Simulation.Victims;

/// <summary>The in-process classifiers that simulated tensor clients are run against, by name.</summary>
public static class TensorVictims
{
    // Built once on first use: the glyph network trains at construction, and victims are
    // immutable, so every simulation can share one instance.
    private static readonly Dictionary<string, Lazy<IVictimModel>> Victims = new(StringComparer.Ordinal)
    {
        ["demo-classifier"] = new(() => new DemoClassifierVictim()),
        ["glyphs"] = new(() => new GlyphVictim()),
    };

    private static readonly System.Collections.Concurrent.ConcurrentDictionary<string, AiGuard.Anomaly.TensorReference> References = new(StringComparer.Ordinal);

    public static IReadOnlyList<string> Names { get; } = [.. Victims.Keys];

    /// <summary>Natural inputs a reference is built from: what an operator's sample would give.</summary>
    public const int ReferenceSample = 512;

    /// <summary>
    /// The reference of legitimate inputs the engine measures this victim's traffic against, built
    /// from <see cref="ReferenceSample"/> natural inputs (seeded: the same in every run), as
    /// <c>aiguard anomaly reference</c> builds one from an operator's sample.
    /// </summary>
    public static AiGuard.Anomaly.TensorReference Reference(IVictimModel victim)
    {
        ArgumentNullException.ThrowIfNull(victim);
        return References.GetOrAdd(victim.Name, _ =>
        {
            var random = new Random(0x0EF0);
            var row = new float[victim.InputSize];
            var rows = new List<double[]>(ReferenceSample);
            for (var i = 0; i < ReferenceSample; i++)
            {
                victim.SampleNatural(random, row);
                rows.Add([.. row.Select(v => (double)v)]);
            }

            return AiGuard.Anomaly.TensorReference.Build(victim.InputSize, rows)
                ?? throw new InvalidOperationException($"Victim '{victim.Name}' draws natural inputs that never vary.");
        });
    }

    /// <summary>The shared instance of the victim called <paramref name="name"/>.</summary>
    public static IVictimModel Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Victims.TryGetValue(name, out var victim)
            ? victim.Value
            : throw new ArgumentException($"Unknown victim '{name}'. Known: {string.Join(", ", Names)}.", nameof(name));
    }
}
