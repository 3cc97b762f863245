using AiGuard.Audit;
using AiGuard.Configuration;
using AiGuard.Pipeline;
using Microsoft.Extensions.Hosting;

namespace AiGuard.Telemetry;

/// <summary>
/// When metrics are exported, starts the counters of rare failures (audit drops, sink failures,
/// fallbacks, fail-opens, rejected reloads) at 0, so dashboards and alert rules find their series from the start.
/// </summary>
internal sealed class TelemetryPrimer(AuditMetrics audit, PipelineMetrics pipeline, ConfigurationMetrics configuration) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        audit.Prime();
        pipeline.Prime();
        configuration.Prime();
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
