using AiGuard.Anomaly;
using Microsoft.ML;

namespace AiGuard.Training;

/// <summary>A trained anomaly model: the ONNX file's bytes, its manifest, and ML.NET's own predictions to check the export against.</summary>
public sealed class AnomalyTrainingResult
{
    private readonly byte[] _onnx;
    private readonly MLContext _ml;
    private readonly ITransformer _model;

    internal AnomalyTrainingResult(
        byte[] onnx, float[] benignMedians, AnomalyTrainingMetrics metrics, AnomalyModelManifest manifest, MLContext ml, ITransformer model)
    {
        _onnx = onnx;
        _ml = ml;
        _model = model;
        BenignMedians = benignMedians;
        Metrics = metrics;
        Manifest = manifest;
    }

    /// <summary>The ONNX model file's bytes.</summary>
    public ReadOnlySpan<byte> OnnxBytes => _onnx;

    /// <summary>SHA-256 of <see cref="OnnxBytes"/>, lowercase hex: the value to pin.</summary>
    public string Sha256 => Manifest.ModelSha256;

    /// <summary>Median of each feature over the benign training rows, in <see cref="AnomalyFeatures"/> order.</summary>
    public IReadOnlyList<float> BenignMedians { get; }

    public AnomalyTrainingMetrics Metrics { get; }

    /// <summary>What <see cref="WriteFiles"/> writes as <c>&lt;model&gt;.manifest.json</c>.</summary>
    public AnomalyModelManifest Manifest { get; }

    /// <summary>ML.NET's own probability for each row (rows of <see cref="AnomalyFeatures.Count"/> values laid out one after another).</summary>
    public float[] Predict(ReadOnlySpan<float> rows) => AnomalyTrainer.Predict(_ml, _model, rows);

    /// <summary>
    /// Writes the model to <paramref name="modelPath"/> and the manifest beside it, each to a
    /// temporary file first and then renamed over the target, so neither is ever seen half
    /// written. Returns the manifest's path. A reader that finds a new file next to an old one
    /// refuses the pair: the manifest names the SHA-256 of its model.
    /// </summary>
    public string WriteFiles(string modelPath) => WriteFiles(modelPath, Manifest);

    /// <summary>As <see cref="WriteFiles(string)"/>, with a manifest that adds to this one (the same model hash).</summary>
    public string WriteFiles(string modelPath, AnomalyModelManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        if (manifest.ModelSha256 != Manifest.ModelSha256)
        {
            throw new ArgumentException("The manifest names another model.", nameof(manifest));
        }

        ArgumentException.ThrowIfNullOrWhiteSpace(modelPath);
        var manifestPath = AnomalyModelManifest.PathFor(modelPath);
        if (string.Equals(Path.GetFullPath(manifestPath), Path.GetFullPath(modelPath), StringComparison.Ordinal))
        {
            throw new ArgumentException($"The model path '{modelPath}' is its own manifest path; name the model *.onnx.", nameof(modelPath));
        }

        WriteAtomically(manifestPath, manifest.ToJsonBytes());
        WriteAtomically(modelPath, _onnx);
        return manifestPath;
    }

    private static void WriteAtomically(string path, byte[] bytes)
    {
        var temp = path + ".tmp";
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, path, overwrite: true);
    }
}
