using System.Globalization;
using AiGuard.Anomaly;
using AiGuard.Training;
using AiGuard.Training.Features;
using BenchmarkDotNet.Attributes;

namespace AiGuard.Benchmarks;

/// <summary>
/// Latency and managed allocation of scoring through <see cref="AnomalyScorer"/> (ONNX Runtime
/// from the Microsoft.ML.OnnxRuntime package) with the model <c>aiguard anomaly train</c>
/// writes: an ML.NET FastTree export over the 34 features of schema 3, trained in setup on a
/// seeded synthetic table; for one row and for a batch of 256. <see cref="Trees"/> is
/// "trees x leaves"; 100x16 is the trainer's default since 2026-11-27 (50x16 before).
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
[MinColumn]
public class AnomalyScorerBenchmarks
{
    private const int BatchRows = 256;
    private string _directory = string.Empty;
    private AnomalyScorer _scorer = null!;
    private float[] _rows = [];
    private float[] _scores = [];
    private int _next;

    [Params("50x16", "100x16", "100x20")]
    public string Trees { get; set; } = "50x16";

    [GlobalSetup]
    public void Setup()
    {
        var size = Trees.Split('x').Select(v => int.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var rows = TrainingData.FromTable(SyntheticFeatureTable.Generate(5000, seed: 42));
        var trained = AnomalyTrainer.Train(rows, seed: 42, new AnomalyTreeSettings { Trees = size[0], Leaves = size[1] });
        _directory = Directory.CreateTempSubdirectory("aiguard-bench-").FullName;
        var path = Path.Combine(_directory, "model.onnx");
        trained.WriteFiles(path);
        _scorer = AnomalyScorer.Load(new AnomalyModelOptions { Path = path, Sha256 = trained.Sha256, ExpectedFeatureSchemaVersion = AnomalyFeatures.SchemaVersion });
        _rows = SyntheticFeatureTable.Generate(BatchRows, seed: 7).Values.ToArray();
        _scores = new float[BatchRows];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _scorer.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    /// <summary>One row per call, cycling through 256 different clients (benign and attacking) so each call walks other paths.</summary>
    [Benchmark(Baseline = true)]
    public float Scorer_batch_of_1()
    {
        var row = _next++ & (BatchRows - 1);
        return _scorer.Score(_rows.AsSpan(row * AnomalyFeatures.Count, AnomalyFeatures.Count));
    }

    [Benchmark]
    public float Scorer_batch_of_256()
    {
        _scorer.Score(_rows, _scores);
        return _scores[0];
    }
}
