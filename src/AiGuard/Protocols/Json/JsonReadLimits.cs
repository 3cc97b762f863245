namespace AiGuard.Protocols.Json;

/// <summary>The limits a body is read under: nesting depth and number of JSON values.</summary>
public readonly record struct JsonReadLimits(int MaxDepth, int MaxElements)
{
    /// <summary>Generous limits for bodies AiGuard did not receive from a client (upstream answers).</summary>
    public static JsonReadLimits Upstream { get; } = new(256, int.MaxValue);
}
