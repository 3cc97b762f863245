using System.Diagnostics.Metrics;

namespace AiGuard.Configuration;

/// <summary>Owns the instruments of configuration loading: reloads by outcome and the version in force.</summary>
public sealed class ConfigurationMetrics
{
    public const string MeterName = "AiGuard.Configuration";

    private readonly Counter<long> _reloads;
    private long _version;

    public ConfigurationMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _reloads = meter.CreateCounter<long>("aiguard.config.reloads", "{reload}", "Configuration changes seen, by outcome (applied, or rejected because the new configuration was not valid).");
        meter.CreateObservableGauge("aiguard.config.version", () => Interlocked.Read(ref _version), "{version}", "The version of the configuration in force.");
    }

    public void Applied(long version)
    {
        Interlocked.Exchange(ref _version, version);
        _reloads.Add(1, new KeyValuePair<string, object?>(Telemetry.TelemetryAttributes.Outcome, "applied"));
    }

    /// <summary>Starts both outcomes at 0 (the first load happens before exporters listen), so a rejected reload is a change an alert can see.</summary>
    public void Prime()
    {
        _reloads.Add(0, new KeyValuePair<string, object?>(Telemetry.TelemetryAttributes.Outcome, "applied"));
        _reloads.Add(0, new KeyValuePair<string, object?>(Telemetry.TelemetryAttributes.Outcome, "rejected"));
    }

    public void Rejected() => _reloads.Add(1, new KeyValuePair<string, object?>(Telemetry.TelemetryAttributes.Outcome, "rejected"));
}
