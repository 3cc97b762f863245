using AiGuard.Anomaly;
using AiGuard.Training;
using AiGuard.Training.Features;
using AiGuard.Training.Trees;
using BenchmarkDotNet.Attributes;

namespace AiGuard.Benchmarks;

/// <summary>
/// Latency and managed allocation of scoring with the default anomaly model (isolation
/// forest, 100 trees, psi 256, 10 features) through the Microsoft.ML.OnnxRuntime package,
/// for one row and for a batch of 256.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class AnomalyScorerBenchmarks
{
    private const int BatchRows = 256;
    private string _directory = string.Empty;
    private AnomalyScorer _scorer = null!;
    private TreeEnsembleModel _reference = null!;
    private float[] _rows = [];
    private float[] _scores = [];

    [GlobalSetup]
    public void Setup()
    {
        var table = SyntheticFeatureTable.Generate(5000, seed: 42);
        var trained = AnomalyModelTrainer.Train(table, new AnomalyTrainingOptions { Seed = 42 });
        _reference = trained.Model;
        _directory = Directory.CreateTempSubdirectory("aiguard-bench-").FullName;
        var path = Path.Combine(_directory, "model.onnx");
        File.WriteAllBytes(path, trained.OnnxBytes);
        _scorer = AnomalyScorer.Load(new AnomalyModelOptions { Path = path, Sha256 = ModelFileHash.Compute(trained.OnnxBytes) });
        _rows = SyntheticFeatureTable.Generate(BatchRows, seed: 7).Values.ToArray();
        _scores = new float[BatchRows];
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _scorer.Dispose();
        Directory.Delete(_directory, recursive: true);
    }

    [Benchmark(Baseline = true)]
    public float Scorer_batch_of_1() => _scorer.Score(_rows.AsSpan(0, _scorer.FeatureCount));

    [Benchmark]
    public float Scorer_batch_of_256()
    {
        _scorer.Score(_rows, _scores);
        return _scores[0];
    }

    /// <summary>The trainer's pure C# evaluation of the same trees: what the trees cost without ORT.</summary>
    [Benchmark]
    public float Reference_csharp_trees_batch_of_1() => _reference.Score(_rows.AsSpan(0, _reference.FeatureCount));
}
