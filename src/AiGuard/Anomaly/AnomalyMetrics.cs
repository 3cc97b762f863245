using System.Diagnostics.Metrics;

namespace AiGuard.Anomaly;

/// <summary>The anomaly engine's instruments: scores, actions taken, clients tracked and quarantined.</summary>
public sealed class AnomalyMetrics
{
    public const string MeterName = "AiGuard.Anomaly";

    private static readonly string[] ActionNames = [.. Enum.GetValues<AnomalyAction>().Select(a => a.ToString().ToLowerInvariant())];

    private readonly Meter _meter;
    private readonly Histogram<double> _scores;
    private readonly Counter<long> _actions;

    public AnomalyMetrics(IMeterFactory meterFactory)
    {
        _meter = meterFactory.Create(MeterName);
        _scores = _meter.CreateHistogram<double>(
            "aiguard.anomaly.score", "1", "Anomaly scores computed (one per model run), in [0, 1].",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 0.99] });
        _actions = _meter.CreateCounter<long>("aiguard.anomaly.actions", "{client}", "Clients that reached an action's threshold, by action.");
    }

    public void Scored(double score)
    {
        if (_scores.Enabled)
        {
            _scores.Record(score);
        }
    }

    public void Acted(AnomalyAction action) =>
        _actions.Add(1, new KeyValuePair<string, object?>(Telemetry.TelemetryAttributes.AnomalyAction, ActionNames[(int)action]));

    /// <summary>Publishes the engine's gauges (tracked clients, evictions, quarantined clients).</summary>
    internal void Observe(AnomalyEngine engine)
    {
        _meter.CreateObservableGauge("aiguard.anomaly.clients", () => engine.Clients.Count, "{client}", "Clients the anomaly engine tracks.");
        _meter.CreateObservableCounter("aiguard.anomaly.evictions", () => engine.Clients.Evicted, "{client}", "Clients forgotten to keep the table under its cap.");
        _meter.CreateObservableGauge("aiguard.anomaly.quarantined", () => engine.Quarantine.Count, "{client}", "Clients in quarantine.");
    }
}
