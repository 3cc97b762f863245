namespace AiGuard.Training.Simulation.Chat;

/// <summary>
/// Hashing and pseudo-random numbers that are the same in every process and on every platform
/// (<see cref="string.GetHashCode()"/> is randomized per process, so it cannot seed a victim).
/// </summary>
internal static class StableHash
{
    private const ulong FnvOffset = 14695981039346656037;
    private const ulong FnvPrime = 1099511628211;

    public static ulong Start(ulong seed) => Mix(FnvOffset ^ seed);

    public static ulong Add(ulong hash, string text)
    {
        foreach (var c in text)
        {
            hash = (hash ^ c) * FnvPrime;
        }

        // The length closes the field, so ("ab", "c") and ("a", "bc") hash apart.
        return Add(hash, (ulong)text.Length);
    }

    public static ulong Add(ulong hash, ulong value) => Mix(hash ^ Mix(value + 0x9E3779B97F4A7C15));

    /// <summary>The SplitMix64 finalizer: a bijection that spreads every input bit over the output.</summary>
    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}

/// <summary>A SplitMix64 stream: uniform and roughly normal draws from nothing but integer arithmetic.</summary>
internal struct SplitMix(ulong seed)
{
    private ulong _state = seed;

    public ulong Next()
    {
        _state += 0x9E3779B97F4A7C15;
        return StableHash.Mix(_state);
    }

    /// <summary>Uniform in [0, 1), 24 bits, exact in a float.</summary>
    public float NextUniform() => (Next() >> 40) * (1f / 16777216f);

    /// <summary>
    /// Mean 0, variance 1, from the sum of four uniforms (Irwin-Hall): no logarithm or cosine, so
    /// the same seed gives the same bits on every platform; bounded by +/-3.46, which a toy model can afford.
    /// </summary>
    public float NextNormal() => (NextUniform() + NextUniform() + NextUniform() + NextUniform() - 2f) * 1.7320508f;
}
