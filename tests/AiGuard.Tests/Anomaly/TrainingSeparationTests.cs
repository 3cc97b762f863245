using AiGuard.Anomaly;

namespace AiGuard.Tests.Anomaly;

public class TrainingSeparationTests
{
    [Fact]
    public void The_core_library_uses_neither_the_offline_training_code_nor_protobuf()
    {
        var referenced = typeof(AnomalyScorer).Assembly.GetReferencedAssemblies().Select(a => a.Name).ToList();

        Assert.Contains("Microsoft.ML.OnnxRuntime", referenced);
        Assert.DoesNotContain("AiGuard.Training", referenced);
        Assert.DoesNotContain("Google.Protobuf", referenced);
    }
}
