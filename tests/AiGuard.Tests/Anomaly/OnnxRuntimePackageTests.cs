using System.Runtime.InteropServices;
using AiGuard.Anomaly;
using Microsoft.ML.OnnxRuntime;

namespace AiGuard.Tests.Anomaly;

public sealed class OnnxRuntimePackageTests : IDisposable
{
    private readonly ModelFiles _files = new();

    public void Dispose() => _files.Dispose();

    [Fact]
    public void The_loaded_ONNX_Runtime_is_version_1_31_1_from_the_Microsoft_ML_OnnxRuntime_package()
    {
        using var scorer = AnomalyScorer.Load(ModelFiles.Pinned(_files.Write("m.onnx", TestModels.ScoreLike(3))));

        Assert.Equal("1.31.1", OrtEnv.Instance().GetVersionString());
        if (OperatingSystem.IsLinux())
        {
            // The native library is the one the package ships, resolved from this build's output,
            // not a copy found elsewhere on the machine.
            var loaded = File.ReadLines("/proc/self/maps")
                .Select(line => line[(line.IndexOf('/', StringComparison.Ordinal) is var i and >= 0 ? i : line.Length)..])
                .Where(path => Path.GetFileName(path).StartsWith("libonnxruntime.so", StringComparison.Ordinal))
                .Distinct()
                .ToList();
            var rid = "linux-" + RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();
            var expected = Path.Combine(AppContext.BaseDirectory, "runtimes", rid, "native", "libonnxruntime.so");
            Assert.Equal([expected], loaded);
        }
    }
}
