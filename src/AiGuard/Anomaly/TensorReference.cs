using System.Text.Json;
using System.Text.Json.Serialization;

namespace AiGuard.Anomaly;

/// <summary>
/// What a route's legitimate inputs of one width look like: the mean and spread of each
/// fingerprinted coordinate and the distance between two unrelated inputs. The engine measures
/// every distance and step against it, so a feature means the same thing for a 4-value table
/// row and a 150,528-value image (one shipped model serves both). Built from an operator's
/// sample (<c>aiguard anomaly reference</c>) or learnt from the route's traffic
/// (<see cref="ReferenceLearner"/>).
/// </summary>
public sealed class TensorReference
{
    /// <summary>The file format's version.</summary>
    public const int FormatVersion = 1;

    /// <summary>A coordinate's spread is at least this share of the typical one (constant pixels do not make every change look huge).</summary>
    private const double SpreadFloor = 0.05;

    private TensorReference(int width, long rows, float[] mean, float[] scale, double typical)
    {
        Width = width;
        Rows = rows;
        Mean = mean;
        Scale = scale;
        Typical = typical;
        Basis = TensorBasis.For(width);
    }

    /// <summary>Values per input row.</summary>
    public int Width { get; }

    /// <summary>Rows it was built from.</summary>
    public long Rows { get; }

    /// <summary>Mean of each kept coordinate (<see cref="TensorBasis.Indices"/>).</summary>
    internal float[] Mean { get; }

    /// <summary>Spread (standard deviation, floored) of each kept coordinate.</summary>
    internal float[] Scale { get; }

    /// <summary>The expected distance between two unrelated inputs on the kept coordinates: sqrt(2 * sum of variances).</summary>
    public double Typical { get; }

    internal TensorBasis Basis { get; }

    /// <summary>Builds a reference from sums over the kept coordinates.</summary>
    internal static TensorReference? FromMoments(int width, long rows, ReadOnlySpan<double> mean, ReadOnlySpan<double> variance)
    {
        if (rows < 2 || mean.Length == 0 || mean.Length != variance.Length)
        {
            return null;
        }

        double total = 0;
        for (var i = 0; i < variance.Length; i++)
        {
            total += Math.Max(variance[i], 0);
        }

        if (!(total > 0) || !double.IsFinite(total) || !double.IsFinite(Math.Sqrt(2 * total)) || total > 1e60)
        {
            return null;
        }

        var floor = SpreadFloor * Math.Sqrt(total / variance.Length);
        var means = new float[mean.Length];
        var scales = new float[mean.Length];
        for (var i = 0; i < mean.Length; i++)
        {
            means[i] = (float)mean[i];
            scales[i] = (float)Math.Max(Math.Sqrt(Math.Max(variance[i], 0)), floor);
            if (!float.IsFinite(means[i]) || !float.IsFinite(scales[i]))
            {
                return null;
            }
        }

        return new TensorReference(width, rows, means, scales, Math.Sqrt(2 * total));
    }

    /// <summary>Builds a reference from sample rows of <paramref name="width"/> values; null when they do not vary at all.</summary>
    public static TensorReference? Build(int width, IEnumerable<double[]> rows)
    {
        ArgumentNullException.ThrowIfNull(rows);
        var learner = new ReferenceLearner(width, minClients: 1, minRows: 2);
        learner.CountClient();
        foreach (var row in rows)
        {
            if (row.Length == width)
            {
                learner.Add(row);
            }
        }

        return learner.Snapshot();
    }

    /// <summary>Writes the reference as JSON.</summary>
    public void Save(Stream stream)
    {
        var file = new ReferenceFile(FormatVersion, Width, Rows, AnomalyFeatures.SchemaVersion, Basis.Indices, Mean, Scale, Typical);
        JsonSerializer.Serialize(stream, file, ReferenceJson.Default.ReferenceFile);
    }

    /// <summary>Reads a reference written by <see cref="Save"/>; a clear <see cref="InvalidDataException"/> when it is not one.</summary>
    public static TensorReference Load(Stream stream)
    {
        ReferenceFile? file;
        try
        {
            file = JsonSerializer.Deserialize(stream, ReferenceJson.Default.ReferenceFile);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"Not a reference file: {e.Message}", e);
        }

        if (file is null || file.Format != FormatVersion)
        {
            throw new InvalidDataException($"Not a reference file of format {FormatVersion}.");
        }

        if (file.Width is < 1 or > 64 * 1024 * 1024)
        {
            throw new InvalidDataException($"The reference's width {file.Width} is out of range (1 to 67,108,864 values).");
        }

        var basis = TensorBasis.For(file.Width);
        if (file.Mean is null || file.Spread is null
            || file.Mean.Length != basis.Indices.Length || file.Spread.Length != basis.Indices.Length
            || file.Indices is null || !file.Indices.AsSpan().SequenceEqual(basis.Indices))
        {
            throw new InvalidDataException($"The reference's coordinates do not match width {file.Width}.");
        }

        if (!(file.Typical > 0) || !double.IsFinite(file.Typical)
            || file.Mean.Any(v => !float.IsFinite(v)) || file.Spread.Any(v => !(v > 0) || !float.IsFinite(v)))
        {
            throw new InvalidDataException("The reference holds a value that is not a finite number (or a spread that is not positive).");
        }

        return new TensorReference(file.Width, file.Rows, file.Mean, file.Spread, file.Typical);
    }

    /// <summary>Reads a reference file from disk.</summary>
    public static TensorReference Load(string path)
    {
        using var stream = new MemoryStream(ModelFile.ReadAll(path), writable: false);
        return Load(stream);
    }

    internal sealed record ReferenceFile(
        int Format, int Width, long Rows, string FeatureSchema, int[] Indices, float[] Mean, float[] Spread, double Typical);
}

[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = false)]
[JsonSerializable(typeof(TensorReference.ReferenceFile))]
internal sealed partial class ReferenceJson : JsonSerializerContext;

/// <summary>
/// Learns a <see cref="TensorReference"/> from rows as they come (Welford's running moments over
/// the kept coordinates, the old rows' weight capped so it follows slow drift). Thread-safe;
/// publishes a new snapshot every few rows, and none before it has rows from
/// <c>minClients</c> contributions and <c>minRows</c> rows.
/// </summary>
public sealed class ReferenceLearner
{
    private const long Horizon = 4096;

    private readonly object _lock = new();
    private readonly int _minClients;
    private readonly int _minRows;
    private readonly double[] _mean;
    private readonly double[] _variance;
    private readonly TensorBasis _basis;
    private long _rows;
    private long _weight;
    private int _clients;
    private TensorReference? _snapshot;

    public ReferenceLearner(int width, int minClients, int minRows)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        Width = width;
        _basis = TensorBasis.For(width);
        _mean = new double[_basis.Indices.Length];
        _variance = new double[_basis.Indices.Length];
        _minClients = Math.Max(1, minClients);
        _minRows = Math.Max(2, minRows);
    }

    public int Width { get; }

    /// <summary>Rows learnt from so far.</summary>
    public long Rows => Volatile.Read(ref _rows);

    /// <summary>The latest published reference; null until enough rows and clients contributed.</summary>
    public TensorReference? Current => Volatile.Read(ref _snapshot);

    /// <summary>Counts one more client among the contributors.</summary>
    public void CountClient() => Interlocked.Increment(ref _clients);

    /// <summary>Clients that contributed so far.</summary>
    public int Clients => Volatile.Read(ref _clients);

    /// <summary>Adds one row of <see cref="Width"/> values; non-finite values count as 0.</summary>
    public void Add(ReadOnlySpan<double> row)
    {
        if (row.Length < Width)
        {
            return;
        }

        var indices = _basis.Indices;
        lock (_lock)
        {
            // One client's absurd row must not blind everyone's distance features: rows with
            // values beyond what a float holds, and (once there is a reference) rows far outside
            // it (mean squared z-score above 10,000: 100 spreads), are not learnt from.
            // A young reference (few rows) has spreads too rough to judge outliers by.
            var current = _snapshot is { Rows: >= 64 } settled ? settled : null;
            double z2 = 0;
            for (var s = 0; s < indices.Length; s++)
            {
                var value = row[indices[s]];
                if (double.IsFinite(value) && Math.Abs(value) > 1e30)
                {
                    return;
                }

                if (current is not null && double.IsFinite(value))
                {
                    var z = (value - current.Mean[s]) / current.Scale[s];
                    z2 += z * z;
                }
            }

            if (current is not null && z2 / indices.Length > 10_000)
            {
                return;
            }

            _rows++;
            _weight = Math.Min(_weight + 1, Horizon);
            var w = 1.0 / _weight;
            for (var s = 0; s < indices.Length; s++)
            {
                var value = row[indices[s]];
                var x = double.IsFinite(value) ? value : 0;
                var delta = x - _mean[s];
                _mean[s] += w * delta;
                // The running (population) variance; exponentially weighted once the horizon is reached.
                _variance[s] = (1 - w) * (_variance[s] + (w * delta * delta));
            }

            if (_rows >= _minRows && Volatile.Read(ref _clients) >= _minClients && (_snapshot is null || _rows % 16 == 0 || _rows < 64))
            {
                Volatile.Write(ref _snapshot, Publish());
            }
        }
    }

    /// <summary>A reference from everything added so far, whatever the minimums.</summary>
    public TensorReference? Snapshot()
    {
        lock (_lock)
        {
            return Publish();
        }
    }

    private TensorReference? Publish() => TensorReference.FromMoments(Width, _rows, _mean, _variance);
}
