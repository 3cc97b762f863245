using System.Collections.Concurrent;

namespace AiGuard.Anomaly;

/// <summary>
/// What fingerprints a tensor row of one width: the coordinates kept (all of them up to
/// <see cref="ClientBehaviour.DetailSize"/>, a fixed seeded sample beyond) and a Gaussian random
/// projection of those coordinates to <see cref="ClientBehaviour.SketchSize"/> values, scaled so
/// that the L2 distance between two sketches estimates the distance between the rows
/// (Johnson-Lindenstrauss). Built once per width and shared by every client.
/// </summary>
internal sealed class TensorBasis
{
    private static readonly ConcurrentDictionary<int, TensorBasis> Cache = new();

    private TensorBasis(int width)
    {
        Width = width;
        var random = new Random(unchecked(0x5EED_0000 + width));
        var kept = Math.Min(width, ClientBehaviour.DetailSize);
        Indices = new int[kept];
        if (kept == width)
        {
            for (var i = 0; i < kept; i++)
            {
                Indices[i] = i;
            }
        }
        else
        {
            // A seeded sample without replacement, in ascending order (cache-friendly reads).
            var all = Enumerable.Range(0, width).ToArray();
            random.Shuffle(all);
            Array.Copy(all, Indices, kept);
            Array.Sort(Indices);
        }

        Projection = new float[ClientBehaviour.SketchSize * kept];
        var scale = 1.0 / Math.Sqrt(ClientBehaviour.SketchSize);
        for (var i = 0; i < Projection.Length; i++)
        {
            // Box-Muller: a standard normal value from two uniform ones.
            var u1 = 1.0 - random.NextDouble();
            var u2 = random.NextDouble();
            Projection[i] = (float)(Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2) * scale);
        }

        // Linf / L2 of a dense Gaussian step over the kept coordinates, on average: about
        // sqrt(2 ln d / d), 1 for one coordinate. Seeded, so every process gets the same value.
        double ratios = 0;
        const int Samples = 256;
        for (var n = 0; n < Samples; n++)
        {
            double sum = 0, peak = 0;
            for (var i = 0; i < kept; i++)
            {
                var u1 = 1.0 - random.NextDouble();
                var g = Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2 * Math.PI * random.NextDouble());
                sum += g * g;
                peak = Math.Max(peak, Math.Abs(g));
            }

            ratios += sum > 0 ? peak / Math.Sqrt(sum) : 1;
        }

        DenseRatio = ratios / Samples;
        AntitheticTolerance = AntitheticTolerances[Math.Min(kept, ClientBehaviour.SketchSize) - 1];
    }

    /// <summary>
    /// For k = 1..16 sketch dimensions, the ratio r = |midpoint shift| / |step| that two pairs of
    /// unrelated Gaussian rows fall below with probability 0.1%: r squared is half an F(k, k)
    /// variable (the shift sums four rows, the step two), so each value is sqrt(q / 2) for q the
    /// 0.001 quantile of F(k, k), from the symmetric Beta(k/2, k/2) distribution of q / (1 + q)
    /// (a unit test recomputes them). A sketch of few dimensions needs a tight test; a wide one can
    /// afford a loose one, which keeps the mirrored pairs whose values were clamped at the ends of
    /// the value range (the background pixels of an image).
    /// </summary>
    internal static readonly double[] AntitheticTolerances =
    [
        0.0011, 0.0224, 0.0595, 0.0967, 0.1296, 0.1580, 0.1825, 0.2037,
        0.2224, 0.2390, 0.2538, 0.2672, 0.2793, 0.2904, 0.3006, 0.3099,
    ];

    /// <summary>The mean Linf / L2 of a dense random step over the kept coordinates (1 for one coordinate).</summary>
    public double DenseRatio { get; }

    /// <summary>
    /// The largest |midpoint shift| / |step| read as a mirrored pair (<c>antithetic</c>): two pairs
    /// of unrelated rows fall below it with probability 0.1% at this sketch's dimension (0.097 for
    /// 4 values, 0.31 for 16 or more).
    /// </summary>
    public double AntitheticTolerance { get; }

    public int Width { get; }

    /// <summary>The coordinates fingerprinted, ascending.</summary>
    public int[] Indices { get; }

    /// <summary>Row-major [sketch value, kept coordinate].</summary>
    public float[] Projection { get; }

    /// <summary>Most widths kept; a model has one input shape, so a gateway sees few.</summary>
    public const int MaxWidths = 1024;

    private static readonly Widths Shared = new(Cache, MaxWidths);

    /// <summary>
    /// The basis of a width already built, or a new one while fewer than <see cref="MaxWidths"/>
    /// are; false beyond that. Building one costs about a millisecond, so a client sending made-up
    /// shapes once the cache is full cannot make every request build one (its tensors are then
    /// observed for timing and volume only; the model refuses such shapes anyway).
    /// </summary>
    public static bool TryFor(int width, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TensorBasis? basis) =>
        Shared.TryGet(width, out basis);

    /// <summary>A bounded set of bases by width (the process-wide one, or a test's own).</summary>
    internal sealed class Widths(ConcurrentDictionary<int, TensorBasis> cache, int capacity)
    {
        public bool TryGet(int width, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out TensorBasis? basis)
        {
            if (cache.TryGetValue(width, out basis))
            {
                return true;
            }

            if (cache.Count >= capacity)
            {
                basis = null;
                return false;
            }

            basis = cache.GetOrAdd(width, static w => new TensorBasis(w));
            return true;
        }
    }

    /// <summary>The basis of a width, built when new (not cached beyond <see cref="MaxWidths"/>).</summary>
    public static TensorBasis For(int width) => TryFor(width, out var basis) ? basis : new TensorBasis(width);
}
