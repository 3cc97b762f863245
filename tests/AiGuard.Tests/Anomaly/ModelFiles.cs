using AiGuard.Anomaly;
using AiGuard.Training;

namespace AiGuard.Tests.Anomaly;

/// <summary>A temporary directory for model files, deleted with the test class.</summary>
public sealed class ModelFiles : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("aiguard-tests-").FullName;

    public string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_directory, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>Writes a trained model and its manifest as the CLI does; returns the model's path.</summary>
    public string WriteModel(string name, AnomalyTrainingResult trained)
    {
        var path = Path.Combine(_directory, name);
        trained.WriteFiles(path);
        return path;
    }

    /// <summary>Options that load the file at <paramref name="path"/>, pinned to its current SHA-256.</summary>
    public static AnomalyModelOptions Pinned(string path) =>
        new() { Path = path, Sha256 = ModelFileHash.Compute(File.ReadAllBytes(path)) };

    public void Dispose() => Directory.Delete(_directory, recursive: true);
}
