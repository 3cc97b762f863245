using AiGuard.Onnx;

namespace AiGuard.Anomaly;

/// <summary>
/// Scores feature vectors with the pinned anomaly model: 0 = typical client, 1 = anomalous.
/// Thread-safe (ONNX Runtime sessions allow concurrent Run); dispose to release the model.
/// </summary>
public sealed class AnomalyScorer : IDisposable
{
    private readonly IOnnxSession _session;

    private AnomalyScorer(IOnnxSession session, string path, string sha256, AnomalyModelContract.Facts facts)
    {
        _session = session;
        ModelPath = path;
        Sha256 = sha256;
        FeatureCount = facts.FeatureCount;
        FeatureNames = facts.FeatureNames;
        FeatureSchemaVersion = facts.SchemaVersion;
        Algorithm = facts.Algorithm;
    }

    public string ModelPath { get; }

    /// <summary>SHA-256 of the loaded file, lowercase hex.</summary>
    public string Sha256 { get; }

    public int FeatureCount { get; }

    /// <summary>Feature names from the model's metadata, in input column order, when present.</summary>
    public IReadOnlyList<string>? FeatureNames { get; }

    public string FeatureSchemaVersion { get; }

    public string? Algorithm { get; }

    /// <summary>Loads, pins and validates the model; every refusal is an <see cref="AnomalyModelException"/>.</summary>
    public static AnomalyScorer Load(AnomalyModelOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.Path))
        {
            throw new AnomalyModelException($"No anomaly model configured: set {AnomalyModelOptions.SectionName}:Path.");
        }

        if (!File.Exists(options.Path))
        {
            throw new AnomalyModelException($"Anomaly model file '{options.Path}' does not exist.");
        }

        var bytes = File.ReadAllBytes(options.Path);
        var sha256 = ModelFileHash.Compute(bytes);
        if (!string.IsNullOrWhiteSpace(options.Sha256))
        {
            ModelFileHash.VerifyPin(options.Path, sha256, options.Sha256);
        }

        OnnxSession session;
        try
        {
            session = OnnxSession.Create(bytes, new OnnxSessionOptions
            {
                IntraOpThreads = options.IntraOpThreads,
                LibraryPath = options.OnnxRuntimePath,
            });
        }
        catch (OnnxRuntimeException e)
        {
            throw new AnomalyModelException($"Cannot load anomaly model '{options.Path}': {e.Message}", e);
        }

        try
        {
            var facts = AnomalyModelContract.Validate(session, options.Path, options.ExpectedFeatureSchemaVersion);
            return new AnomalyScorer(session, options.Path, sha256, facts);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Scores one feature vector; allocates no managed memory.</summary>
    public float Score(ReadOnlySpan<float> row)
    {
        if (row.Length != FeatureCount)
        {
            throw new ArgumentException($"The model expects {FeatureCount} features, got {row.Length}.", nameof(row));
        }

        Span<long> shape = [1, FeatureCount];
        Span<float> score = stackalloc float[1];
        _session.Run(AnomalyModelMetadata.InputName, row, shape, AnomalyModelMetadata.OutputName, score);
        return score[0];
    }

    /// <summary>Scores rows laid out one after another; writes one score per row.</summary>
    public void Score(ReadOnlySpan<float> rows, Span<float> scores)
    {
        if (rows.Length == 0 || rows.Length % FeatureCount != 0)
        {
            throw new ArgumentException(
                $"Expected a non-empty multiple of {FeatureCount} values (rows of {FeatureCount} features), got {rows.Length}.", nameof(rows));
        }

        var n = rows.Length / FeatureCount;
        if (scores.Length < n)
        {
            throw new ArgumentException($"{n} rows need {n} scores, but the destination holds {scores.Length}.", nameof(scores));
        }

        Span<long> shape = [n, FeatureCount];
        var written = _session.Run(AnomalyModelMetadata.InputName, rows, shape, AnomalyModelMetadata.OutputName, scores);
        if (written != n)
        {
            throw new AnomalyModelException($"The model returned {written} scores for {n} rows.");
        }
    }

    public void Dispose() => _session.Dispose();
}
