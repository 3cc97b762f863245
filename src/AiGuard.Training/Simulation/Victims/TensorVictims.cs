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

    public static IReadOnlyList<string> Names { get; } = [.. Victims.Keys];

    /// <summary>The shared instance of the victim called <paramref name="name"/>.</summary>
    public static IVictimModel Get(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return Victims.TryGetValue(name, out var victim)
            ? victim.Value
            : throw new ArgumentException($"Unknown victim '{name}'. Known: {string.Join(", ", Names)}.", nameof(name));
    }
}
