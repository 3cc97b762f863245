using System.Collections.Concurrent;

namespace AiGuard.Telemetry;

/// <summary>
/// Keeps a client-chosen name (a model name in a request body) usable as a metric attribute: the
/// first <see cref="Capacity"/> distinct names are kept, every later one becomes <see cref="Other"/>,
/// so a client inventing model names cannot grow the gateway's metric series without bound.
/// </summary>
/// <remarks>A name already seen costs one dictionary lookup and no allocation.</remarks>
public sealed class BoundedNames
{
    /// <summary>The value that stands for every name beyond the cap (as OpenTelemetry's own overflow attribute does).</summary>
    public const string Other = "_OTHER";

    /// <summary>The longest name kept; longer ones count as <see cref="Other"/>.</summary>
    public const int MaxLength = 64;

    private readonly ConcurrentDictionary<string, string> _names = new(StringComparer.Ordinal);

    public BoundedNames(int capacity)
    {
        Capacity = capacity;
    }

    public int Capacity { get; }

    /// <summary>The name itself while there is room for it, else <see cref="Other"/>; null stays null.</summary>
    public string? Bound(string? name)
    {
        if (name is null)
        {
            return null;
        }

        if (_names.TryGetValue(name, out var kept))
        {
            return kept;
        }

        if (name.Length > MaxLength || _names.Count >= Capacity)
        {
            return Other;
        }

        // Racing adds may pass the cap by the number of concurrent first sightings: still bounded.
        return _names.GetOrAdd(name, name);
    }
}
