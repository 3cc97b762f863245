using AiGuard.Anomaly;

namespace AiGuard.Tests.Anomaly;

public sealed class ModelFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("aiguard-model-file-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_regular_file_is_read_whole()
    {
        var path = Path.Combine(_dir, "model.onnx");
        File.WriteAllBytes(path, [1, 2, 3, 4, 5]);

        Assert.Equal([1, 2, 3, 4, 5], ModelFile.ReadAll(path));
    }

    [Fact]
    public void Missing_and_empty_files_are_refused_naming_the_path()
    {
        var empty = Path.Combine(_dir, "empty.onnx");
        File.WriteAllBytes(empty, []);

        Assert.Contains("does not exist", Assert.Throws<FileNotFoundException>(() => ModelFile.ReadAll(Path.Combine(_dir, "missing.onnx"))).Message, StringComparison.Ordinal);
        Assert.Contains("empty.onnx' is empty or not a regular file", Assert.Throws<IOException>(() => ModelFile.ReadAll(empty)).Message, StringComparison.Ordinal);
    }

    [SkippableTheory]
    [InlineData("/dev/zero")]
    [InlineData("/dev/urandom")]
    [InlineData("/proc/self/mem")]
    public void Devices_and_proc_files_are_refused_without_being_read(string path)
    {
        Skip.IfNot(OperatingSystem.IsLinux() && File.Exists(path), "a Linux path");

        Assert.Contains("not a regular file", Assert.Throws<IOException>(() => ModelFile.ReadAll(path)).Message, StringComparison.Ordinal);
    }
}
