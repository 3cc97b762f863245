namespace AiGuard.Protocols;

/// <summary>Finds the adapter a route's policy names.</summary>
public sealed class ProtocolRegistry
{
    private readonly Dictionary<string, IProtocolAdapter> _adapters;

    public ProtocolRegistry(IEnumerable<IProtocolAdapter> adapters)
    {
        _adapters = adapters.ToDictionary(a => a.Name, StringComparer.OrdinalIgnoreCase);
    }

    public IReadOnlyCollection<string> Names => _adapters.Keys;

    public bool TryGet(string name, out IProtocolAdapter adapter) => _adapters.TryGetValue(name, out adapter!);
}
