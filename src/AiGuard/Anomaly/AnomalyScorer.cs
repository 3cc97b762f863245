using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;

namespace AiGuard.Anomaly;

/// <summary>
/// Scores feature vectors with the pinned anomaly model through ONNX Runtime: 0 = typical
/// client, 1 = anomalous. Reads the model's <c>score</c> output, or ML.NET's
/// <c>Probability.output</c>, and the manifest next to the model when there is one. Every score is
/// at least the rule floor of <see cref="AnomalyRules"/> (mirrored pairs in a near-duplicate
/// cloud, logit-bias sweeps and tensor inputs far outside the reference score 1 whatever the
/// model says). Thread-safe (sessions allow concurrent runs and each call has its own buffers);
/// dispose to release the model once no call is running.
/// </summary>
public sealed class AnomalyScorer : IAnomalyScorer, IDisposable
{
    private static readonly string[] InputNames = [AnomalyModelMetadata.InputName];

    private readonly InferenceSession _session;
    // Shared by all calls, as InferenceSession shares its own default: Run only reads it.
    private readonly RunOptions _runOptions = new();
    private readonly SingleRowBindingPool _singleRows;
    private readonly string[] _outputNames;
    private readonly int _scoreRank;
    private int _callsInFlight;
    private int _disposed;

    private AnomalyScorer(InferenceSession session, string path, string sha256, AnomalyModelContract.Facts facts, AnomalyModelManifest? manifest)
    {
        _session = session;
        _scoreRank = facts.ScoreRank;
        _outputNames = [facts.OutputName];
        _singleRows = new SingleRowBindingPool(session, facts.FeatureCount, facts.OutputName, facts.ScoreRank);
        ModelPath = path;
        Sha256 = sha256;
        FeatureCount = facts.FeatureCount;
        FeatureNames = facts.FeatureNames;
        FeatureSchemaVersion = facts.SchemaVersion;
        Algorithm = facts.Algorithm;
        OutputName = facts.OutputName;
        BenignMedians = facts.BenignMedians;
        Manifest = manifest;
    }

    public string ModelPath { get; }

    /// <summary>The output read as the score: <c>score</c> or <c>Probability.output</c>.</summary>
    public string OutputName { get; }

    /// <summary>The manifest read next to the model, or null when there was none.</summary>
    public AnomalyModelManifest? Manifest { get; }

    /// <inheritdoc />
    public IReadOnlyList<float>? BenignMedians { get; }

    /// <inheritdoc />
    public string Sha256 { get; }

    /// <inheritdoc />
    public int FeatureCount { get; }

    /// <inheritdoc />
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

        if (options.IntraOpThreads < 1)
        {
            throw new AnomalyModelException(
                $"{AnomalyModelOptions.SectionName}:IntraOpThreads must be at least 1, but is {options.IntraOpThreads}.");
        }

        if (!File.Exists(options.Path))
        {
            throw new AnomalyModelException($"Anomaly model file '{options.Path}' does not exist.");
        }

        byte[] bytes;
        try
        {
            bytes = ModelFile.ReadAll(options.Path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new AnomalyModelException($"Anomaly model file '{options.Path}' could not be read: {e.Message}", e);
        }

        var sha256 = ModelFileHash.Compute(bytes);
        if (!string.IsNullOrWhiteSpace(options.Sha256))
        {
            ModelFileHash.VerifyPin(options.Path, sha256, options.Sha256);
        }

        // Read before the session: a broken manifest is refused without loading the model.
        var manifestPath = AnomalyModelManifest.PathFor(options.Path);
        var manifest = File.Exists(manifestPath) ? AnomalyModelManifest.Read(manifestPath) : null;
        var session = CreateSession(options.Path, bytes, options.IntraOpThreads);
        try
        {
            var facts = AnomalyModelContract.Validate(
                session, options.Path, sha256, options.ExpectedFeatureSchemaVersion, manifest, manifestPath);
            return new AnomalyScorer(session, options.Path, sha256, facts, manifest);
        }
        catch (OnnxRuntimeException e)
        {
            session.Dispose();
            throw new AnomalyModelException($"Cannot read anomaly model '{options.Path}': {e.Message}", e);
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

        Enter();
        try
        {
            var binding = _singleRows.Rent();
            try
            {
                return Math.Max(binding.Run(_session, _runOptions, row), AnomalyRules.Floor(row));
            }
            finally
            {
                _singleRows.Return(binding);
            }
        }
        catch (OnnxRuntimeException e)
        {
            throw ScoringFailed(e);
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>
    /// Scores rows laid out one after another; writes one score per row. ONNX Runtime reads the
    /// rows and writes the scores in place, without copies; each call allocates two small
    /// <see cref="OrtValue"/> wrappers and the Run's argument arrays, once per batch.
    /// </summary>
    public unsafe void Score(ReadOnlySpan<float> rows, Span<float> scores)
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

        if (n == 1)
        {
            scores[0] = Score(rows);
            return;
        }

        Enter();
        try
        {
            fixed (float* input = rows)
            fixed (float* output = scores)
            {
                using var inputValue = OrtValue.CreateTensorValueWithData(
                    OrtMemoryInfo.DefaultInstance, TensorElementType.Float, [n, FeatureCount], (IntPtr)input, (long)rows.Length * sizeof(float));
                using var outputValue = OrtValue.CreateTensorValueWithData(
                    OrtMemoryInfo.DefaultInstance, TensorElementType.Float, _scoreRank == 2 ? [n, 1] : [n], (IntPtr)output, (long)n * sizeof(float));
                _session.Run(_runOptions, InputNames, [inputValue], _outputNames, [outputValue]);
            }

            for (var i = 0; i < n; i++)
            {
                scores[i] = Math.Max(scores[i], AnomalyRules.Floor(rows.Slice(i * FeatureCount, FeatureCount)));
            }
        }
        catch (OnnxRuntimeException e)
        {
            throw ScoringFailed(e);
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Waits for running calls to finish, then releases the model; safe to call twice.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        var wait = default(SpinWait);
        while (Volatile.Read(ref _callsInFlight) != 0)
        {
            wait.SpinOnce();
        }

        _singleRows.Dispose();
        _runOptions.Dispose();
        _session.Dispose();
    }

    private static InferenceSession CreateSession(string path, byte[] bytes, int intraOpThreads)
    {
        // Parallelism comes from concurrent requests, each scoring a small row, not from inside one run.
        using var sessionOptions = new SessionOptions
        {
            IntraOpNumThreads = intraOpThreads,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        try
        {
            return new InferenceSession(bytes, sessionOptions);
        }
        catch (OnnxRuntimeException e)
        {
            throw new AnomalyModelException($"Cannot load anomaly model '{path}': {e.Message}", e);
        }
    }

    private AnomalyModelException ScoringFailed(OnnxRuntimeException e) =>
        new($"Scoring with anomaly model '{ModelPath}' failed: {e.Message}", e);

    // Dispose must not release the session under a running call: calls count themselves in,
    // and Dispose, once it has set the flag, waits for the count to drop to zero.
    private void Enter()
    {
        Interlocked.Increment(ref _callsInFlight);
        if (Volatile.Read(ref _disposed) != 0)
        {
            Interlocked.Decrement(ref _callsInFlight);
            ObjectDisposedException.ThrowIf(true, this);
        }
    }

    private void Exit() => Interlocked.Decrement(ref _callsInFlight);
}
