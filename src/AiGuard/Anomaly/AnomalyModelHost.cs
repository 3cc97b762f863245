using AiGuard.Configuration;
using Microsoft.Extensions.Configuration;

namespace AiGuard.Anomaly;

/// <summary>
/// Loads the anomaly model once, at start (pinned, contract-checked): the one
/// <c>AiGuard:Anomaly:Model</c> names, or else the shipped model when a policy names an anomaly
/// policy. Read from configuration at start (changing the model takes a restart).
/// </summary>
/// <remarks>A model that is missing, tampered with (SHA-256 pin) or does not meet the contract stops the start.</remarks>
public sealed class AnomalyModelHost : IDisposable
{
    /// <summary>Where the shipped model lives, relative to the application's directory.</summary>
    public const string ShippedModelPath = "models/anomaly.onnx";

    private readonly Lazy<AnomalyScorer?> _scorer;

    public AnomalyModelHost(IConfiguration configuration) =>
        _scorer = new Lazy<AnomalyScorer?>(() => Load(configuration), LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>The loaded model (loaded on first use, which the start does); null when none is configured.</summary>
    public AnomalyScorer? Scorer => _scorer.Value;

    public void Dispose()
    {
        if (_scorer.IsValueCreated)
        {
            _scorer.Value?.Dispose();
        }
    }

    private static AnomalyScorer? Load(IConfiguration configuration)
    {
        var section = configuration.GetSection(AiGuardOptions.SectionName);
        var options = new AnomalyModelOptions();
        section.GetSection("Anomaly:Model").Bind(options);
        if (string.IsNullOrWhiteSpace(options.Path))
        {
            var used = section.GetSection("Policies").GetChildren().Any(p => !string.IsNullOrEmpty(p["Anomaly"]));
            var shipped = Path.Combine(AppContext.BaseDirectory, ShippedModelPath);
            if (!used || !File.Exists(shipped))
            {
                return null;
            }

            options.Path = shipped;
        }
        else
        {
            options.Path = AnomalyModelOptions.Resolve(options.Path);
        }

        try
        {
            return AnomalyScorer.Load(options);
        }
        catch (AnomalyModelException ex)
        {
            throw new GatewayConfigurationException($"{AnomalyModelOptions.SectionName}: {ex.Message}", ex);
        }
    }
}
