using AiGuard.Configuration;

namespace AiGuard.Anomaly;

/// <summary>Loads the anomaly model that <c>AiGuard:Anomaly:Model</c> names, once, at start (pinned, contract-checked).</summary>
/// <remarks>A model that is missing, tampered with (SHA-256 pin) or does not meet the contract stops the start.</remarks>
public sealed class AnomalyModelHost : IDisposable
{
    private readonly AnomalyScorer? _scorer;

    public AnomalyModelHost(GatewayConfiguration configuration)
    {
        var options = configuration.Current.Options.Anomaly.Model;
        if (string.IsNullOrWhiteSpace(options.Path))
        {
            return;
        }

        try
        {
            _scorer = AnomalyScorer.Load(options);
        }
        catch (AnomalyModelException ex)
        {
            throw new GatewayConfigurationException($"{AnomalyModelOptions.SectionName}: {ex.Message}", ex);
        }
    }

    /// <summary>The loaded model; null when none is configured.</summary>
    public IAnomalyScorer? Scorer => _scorer;

    public void Dispose() => _scorer?.Dispose();
}
