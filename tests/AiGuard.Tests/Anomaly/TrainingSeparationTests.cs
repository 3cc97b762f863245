using AiGuard.Anomaly;

namespace AiGuard.Tests.Anomaly;

public class TrainingSeparationTests
{
    [Fact]
    public void The_core_library_uses_neither_the_offline_training_code_nor_MLNET_nor_protobuf()
    {
        var referenced = typeof(AnomalyScorer).Assembly.GetReferencedAssemblies().Select(a => a.Name).ToList();

        Assert.Contains("Microsoft.ML.OnnxRuntime", referenced);
        Assert.DoesNotContain("AiGuard.Training", referenced);
        Assert.DoesNotContain("Google.Protobuf", referenced);
        // ML.NET's assemblies: the API, its core and data, the trainers and the ONNX converter.
        Assert.DoesNotContain(referenced, name => name is "Microsoft.ML" or "Microsoft.ML.Core" or "Microsoft.ML.Data" or "Microsoft.ML.DataView"
            || name!.StartsWith("Microsoft.ML.FastTree", StringComparison.Ordinal)
            || name.StartsWith("Microsoft.ML.OnnxConverter", StringComparison.Ordinal));
    }
}
