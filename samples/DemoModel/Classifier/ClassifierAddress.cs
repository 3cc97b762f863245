using DemoModel.Http;

namespace DemoModel.Classifier;

/// <summary>Checks that a model name (and optional version) from a route names the demo classifier.</summary>
internal static class ClassifierAddress
{
    public static void EnsureExists(string? name, string? version)
    {
        if (!string.Equals(name, DemoClassifier.Name, StringComparison.Ordinal))
        {
            throw new DemoRequestException(StatusCodes.Status404NotFound, $"Model '{name}' not found. The only classifier is '{DemoClassifier.Name}'.");
        }

        if (version is not null && !string.Equals(version, DemoClassifier.Version, StringComparison.Ordinal))
        {
            throw new DemoRequestException(StatusCodes.Status404NotFound, $"Version '{version}' of model '{name}' not found.");
        }
    }
}
