using AiGuard.Anomaly;
using AiGuard.Inspection.Text;
using Microsoft.ML.OnnxRuntime;

namespace AiGuard.Inspection.Injection;

/// <summary>What the detector found in one text: the model's score (the highest over the text's windows) and the rule families hit.</summary>
/// <param name="Score">0 = plain prompt, 1 = injection or jailbreak.</param>
/// <param name="Families">Rule families hit in the window with the highest score (and obfuscation found anywhere).</param>
public readonly record struct InjectionVerdict(float Score, InjectionFamilies Families);

/// <summary>
/// Prompt-injection and jailbreak detection: normalizes a text (<see cref="TextNormalizer"/>),
/// computes <see cref="InjectionFeatures"/> over windows of it and scores each window with the
/// pinned ONNX model; the text's score is the highest window's. Thread-safe; dispose to release
/// the model once no call is running.
/// </summary>
public sealed class PromptInjectionDetector : IDisposable
{
    /// <summary>Texts longer than this (plus a quarter) are scored in windows of this many characters, so an injection inside a long document is not diluted.</summary>
    public const int WindowChars = 2048;

    /// <summary>Step between windows: windows do not overlap (each character is featurized once).</summary>
    public const int WindowStep = 2048;

    /// <summary>At most this many characters of one text are inspected (its start and its end, half each).</summary>
    public const int MaxInspectedChars = 256 * 1024;

    /// <summary>What the ML.NET export names the calibrated probability; a hand-built model may name it <c>score</c>.</summary>
    private static readonly string[] OutputNames = [AnomalyModelMetadata.OutputName, AnomalyModelMetadata.ProbabilityOutputName];

    private readonly InferenceSession _session;
    private readonly RunOptions _runOptions = new();
    private readonly string _outputName;
    private readonly long[] _outputShape;
    private readonly Scratch?[] _pool = new Scratch?[Environment.ProcessorCount * 2];
    private int _disposed;
    private int _callsInFlight;

    private PromptInjectionDetector(InferenceSession session, string outputName, long[] outputShape, string path, string sha256, InjectionModelManifest manifest)
    {
        _session = session;
        _outputName = outputName;
        _outputShape = outputShape;
        ModelPath = path;
        Sha256 = sha256;
        Manifest = manifest;
    }

    public string ModelPath { get; }

    public string Sha256 { get; }

    public InjectionModelManifest Manifest { get; }

    /// <summary>The tuned threshold of the manifest.</summary>
    public float Threshold => Manifest.Threshold;

    /// <summary>
    /// The score a rule floor gives (<see cref="InjectionFeatureVector.RuleScore"/>, 0 when none
    /// fired): at least the model's tuned threshold, so a floor flags at the shipped threshold
    /// whatever the model's calibration (a model tuned to 0.98 would otherwise switch off floors of
    /// 0.9). A route whose own threshold is above both turns the floors off.
    /// </summary>
    public float FloorScore(float ruleScore) => ruleScore > 0 ? Math.Max(ruleScore, Threshold) : 0;

    /// <summary>
    /// Loads a model and its manifest (<c>x.manifest.json</c> beside <c>x.onnx</c>, required: it
    /// holds the threshold); refuses a file whose SHA-256 differs from the pin or the manifest's,
    /// and a model of another feature version or width.
    /// </summary>
    public static PromptInjectionDetector Load(string path, string? pinnedSha256 = null)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(path);
        if (!File.Exists(path))
        {
            throw new InjectionModelException($"Prompt-injection model '{path}' does not exist.");
        }

        byte[] bytes;
        try
        {
            bytes = Anomaly.ModelFile.ReadAll(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new InjectionModelException($"Prompt-injection model '{path}' could not be read: {e.Message}", e);
        }

        var sha256 = ModelFileHash.Compute(bytes);
        if (!string.IsNullOrWhiteSpace(pinnedSha256)
            && !string.Equals(pinnedSha256.Trim().Replace("sha256:", string.Empty, StringComparison.OrdinalIgnoreCase), sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new InjectionModelException($"Refusing prompt-injection model '{path}': its SHA-256 is {sha256}, the pin is {pinnedSha256.Trim()}.");
        }

        var manifestPath = InjectionModelManifest.PathFor(path);
        if (!File.Exists(manifestPath))
        {
            throw new InjectionModelException($"Prompt-injection model '{path}' has no manifest '{manifestPath}' (it holds the feature version and the threshold).");
        }

        InjectionModelManifest manifest;
        try
        {
            manifest = InjectionModelManifest.Read(manifestPath);
        }
        catch (Exception e) when (e is InvalidDataException or IOException or UnauthorizedAccessException)
        {
            throw new InjectionModelException(e.Message, e);
        }

        if (!string.Equals(manifest.ModelSha256, sha256, StringComparison.OrdinalIgnoreCase))
        {
            throw new InjectionModelException($"Prompt-injection manifest '{manifestPath}' describes a file with SHA-256 {manifest.ModelSha256}, but '{path}' has {sha256}.");
        }

        if (manifest.FeatureSchemaVersion != InjectionFeatures.SchemaVersion)
        {
            throw new InjectionModelException($"Prompt-injection model '{path}' was trained on features '{manifest.FeatureSchemaVersion}'; this gateway computes '{InjectionFeatures.SchemaVersion}'. Retrain it (aiguard guard train).");
        }

        using var options = new SessionOptions
        {
            IntraOpNumThreads = 1,
            InterOpNumThreads = 1,
            ExecutionMode = ExecutionMode.ORT_SEQUENTIAL,
            GraphOptimizationLevel = GraphOptimizationLevel.ORT_ENABLE_ALL,
            LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR,
        };
        InferenceSession session;
        try
        {
            session = new InferenceSession(bytes, options);
        }
        catch (OnnxRuntimeException e)
        {
            throw new InjectionModelException($"Cannot load prompt-injection model '{path}': {e.Message}", e);
        }

        try
        {
            if (!session.InputMetadata.TryGetValue(AnomalyModelMetadata.InputName, out var input)
                || input.Dimensions.Length != 2 || input.Dimensions[1] != InjectionFeatures.Count)
            {
                throw new InjectionModelException($"Prompt-injection model '{path}' must take '{AnomalyModelMetadata.InputName}' float32 [N, {InjectionFeatures.Count}].");
            }

            var outputName = OutputNames.FirstOrDefault(session.OutputMetadata.ContainsKey)
                ?? throw new InjectionModelException($"Prompt-injection model '{path}' has no output named {string.Join(" or ", OutputNames)}.");
            var rank = session.OutputMetadata[outputName].Dimensions.Length;
            return new PromptInjectionDetector(session, outputName, rank == 2 ? [1, 1] : [1], path, sha256, manifest);
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Verdicts of long texts by client (<see cref="Inspect(string, Identity.ClientIdentity?)"/>); shared by every route that uses this model.</summary>
    public ClientTextCache<InjectionVerdict> Cache { get; } = new(counters: TextCacheCounters.PromptInjection);

    /// <summary>
    /// Normalizes and scores one text a client sent; a long text this client sent before (a
    /// conversation resent whole on every turn) gets its remembered verdict. A null
    /// <paramref name="client"/> scores every time.
    /// </summary>
    public InjectionVerdict Inspect(string text, Identity.ClientIdentity? client)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (client is null || !ClientTextCache.Caches(text.Length))
        {
            return Inspect(text);
        }

        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Cache.TryGet(client.Tenant, client.ClientId, text, out var remembered, out var key))
        {
            return remembered;
        }

        var verdict = Inspect(text);
        Cache.Add(key, verdict);
        return verdict;
    }

    /// <summary>The verdicts of the tool definitions each client sent (<see cref="InspectToolDefinition"/>), kept apart from prompt verdicts.</summary>
    public ClientTextCache<InjectionVerdict> ToolCache { get; } = new(counters: TextCacheCounters.PromptInjection);

    /// <summary>
    /// Scores the text of a tool definition (a tool's description, a parameter's description or
    /// title) as <see cref="Inspect(string)"/> does, and at least at the floor where
    /// <see cref="ToolPoisoningRules"/> fire. Meant for a detector whose model was trained on tool
    /// definitions (the shipped <c>models/tool-definition.onnx</c>): the prompt model reads a tool's
    /// own instructions to the model as an attack (docs/prompt-injection.md, "Tool definitions").
    /// A definition is sent again with every request, so a client's verdicts are remembered
    /// whatever the text's length.
    /// </summary>
    public InjectionVerdict InspectToolDefinition(string text, Identity.ClientIdentity? client)
    {
        ArgumentNullException.ThrowIfNull(text);
        ClientTextCache.Key key = default;
        if (client is not null && ToolCache.TryGet(client.Tenant, client.ClientId, text, out var remembered, out key))
        {
            return remembered;
        }

        var verdict = Inspect(text);
        if (ToolPoisoningRules.SignalOf(text) is not null)
        {
            verdict = new InjectionVerdict(Math.Max(verdict.Score, FloorScore(ToolPoisoningRules.Score)), verdict.Families | InjectionFamilies.ToolPoisoning);
        }

        if (client is not null)
        {
            ToolCache.Add(key, verdict);
        }

        return verdict;
    }

    /// <summary>Normalizes and scores one text.</summary>
    public InjectionVerdict Inspect(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (text.Length > MaxInspectedChars)
        {
            text = string.Concat(text.AsSpan(0, MaxInspectedChars / 2), "\n", text.AsSpan(text.Length - MaxInspectedChars / 2));
        }

        var normalized = TextNormalizer.Normalize(text);
        return Score(normalized);
    }

    /// <summary>Scores an already normalized text, window by window.</summary>
    public InjectionVerdict Score(in NormalizedText normalized)
    {
        Enter();
        var scratch = Rent();
        try
        {
            var text = normalized.Text.AsSpan();
            var best = new InjectionVerdict(-1, InjectionFamilies.None);
            var any = InjectionFamilies.None;
            for (var start = 0; start < text.Length || start == 0; start += WindowStep)
            {
                var length = WindowLength(text.Length, start);
                scratch.Features.Compute(text.Slice(start, length), normalized.Findings);
                var score = Math.Max(scratch.Run(_session, _runOptions), FloorScore(scratch.Features.RuleScore));
                any |= scratch.Features.Families & InjectionFamilies.Obfuscation;
                if (score > best.Score)
                {
                    best = new InjectionVerdict(score, scratch.Features.Families);
                }

                if (start + length >= text.Length)
                {
                    break;
                }
            }

            return best with { Families = best.Families | any };
        }
        catch (OnnxRuntimeException e)
        {
            throw new InjectionModelException($"Scoring with prompt-injection model '{ModelPath}' failed: {e.Message}", e);
        }
        finally
        {
            scratch.Features.Clear();
            Return(scratch);
            Interlocked.Decrement(ref _callsInFlight);
        }
    }

    /// <summary>The windows a text of this length is scored in: the whole text up to 1.25 × <see cref="WindowChars"/> characters, else consecutive windows.</summary>
    public static IEnumerable<(int Start, int Length)> Windows(int length)
    {
        for (var start = 0; ; start += WindowStep)
        {
            var window = WindowLength(length, start);
            yield return (start, window);
            if (start + window >= length)
            {
                yield break;
            }
        }
    }

    /// <summary>The length of the window at <paramref name="start"/>: the rest of the text when it is short enough, else <see cref="WindowChars"/>.</summary>
    private static int WindowLength(int length, int start) =>
        length - start <= WindowChars + (start == 0 ? WindowChars / 4 : 0) ? length - start : WindowChars;

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

        for (var i = 0; i < _pool.Length; i++)
        {
            Interlocked.Exchange(ref _pool[i], null)?.Dispose();
        }

        _runOptions.Dispose();
        _session.Dispose();
    }

    private void Enter()
    {
        Interlocked.Increment(ref _callsInFlight);
        if (Volatile.Read(ref _disposed) != 0)
        {
            Interlocked.Decrement(ref _callsInFlight);
            ObjectDisposedException.ThrowIf(true, this);
        }
    }

    private Scratch Rent()
    {
        for (var i = 0; i < _pool.Length; i++)
        {
            var item = _pool[i];
            if (item is not null && Interlocked.CompareExchange(ref _pool[i], null, item) == item)
            {
                return item;
            }
        }

        return new Scratch(_session, _outputName, _outputShape);
    }

    private void Return(Scratch scratch)
    {
        for (var i = 0; i < _pool.Length; i++)
        {
            if (Interlocked.CompareExchange(ref _pool[i], scratch, null) is null)
            {
                return;
            }
        }

        scratch.Dispose();
    }

    /// <summary>One caller's feature vector, pinned and bound once as the model's input, and its output.</summary>
    private sealed class Scratch : IDisposable
    {
        private readonly float[] _output = GC.AllocateArray<float>(1, pinned: true);
        private readonly OrtValue _inputValue;
        private readonly OrtValue _outputValue;
        private readonly OrtIoBinding _binding;

        public Scratch(InferenceSession session, string outputName, long[] outputShape)
        {
            Features = new InjectionFeatureVector(GC.AllocateArray<float>(InjectionFeatures.Count, pinned: true));
            _inputValue = OrtValue.CreateTensorValueFromMemory(Features.Values, [1, InjectionFeatures.Count]);
            _outputValue = OrtValue.CreateTensorValueFromMemory(_output, outputShape);
            _binding = session.CreateIoBinding();
            _binding.BindInput(AnomalyModelMetadata.InputName, _inputValue);
            _binding.BindOutput(outputName, _outputValue);
        }

        public InjectionFeatureVector Features { get; }

        public float Run(InferenceSession session, RunOptions options)
        {
            session.RunWithBinding(options, _binding);
            return _output[0];
        }

        public void Dispose()
        {
            _binding.Dispose();
            _inputValue.Dispose();
            _outputValue.Dispose();
        }
    }
}
