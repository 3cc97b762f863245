using Microsoft.Extensions.DependencyInjection;

namespace AiGuard.IntegrationTests.Telemetry;

/// <summary>
/// The Prometheus names of docs/telemetry.md are what the scrape endpoint really serves after
/// traffic through every stage: the names a dashboard or an alert rule queries.
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed class PrometheusNamesTests
{
    /// <summary>The metric families (<c># TYPE</c> lines) of a Prometheus exposition: name -> type.</summary>
    public static IReadOnlyDictionary<string, string> Families(string exposition) =>
        exposition.Split('\n').Where(l => l.StartsWith("# TYPE ", StringComparison.Ordinal)).Select(l => l.Split(' '))
            .ToDictionary(p => p[2], p => p[3], StringComparer.Ordinal);

    [Fact]
    public async Task Every_documented_Prometheus_name_is_a_family_the_scrape_serves_with_the_documented_type()
    {
        await using var telemetry = await TelemetryGateway.StartAsync(OtlpTransport.HttpProtobuf, s => s["AiGuard:Telemetry:Prometheus:Enabled"] = "true");
        await telemetry.DriveAllStagesAsync();

        using var admin = new HttpClient { BaseAddress = telemetry.Gateway.App.Services.GetRequiredService<AiGuard.Admin.AdminListener>().Addresses.Single() };
        var families = Families(await admin.GetStringAsync("/metrics"));

        var documented = TelemetryDocs.MetricTable();
        Assert.NotEmpty(documented);
        foreach (var (name, (kind, _, prometheus)) in documented.Where(d => telemetry.Redis is not null || !OtlpExportTests.RedisMetrics.Contains(d.Key)))
        {
            Assert.True(
                families.TryGetValue(prometheus, out var type),
                $"{name}: '{prometheus}' is not served; served: {string.Join(", ", families.Keys.Where(k => k.StartsWith("aiguard", StringComparison.Ordinal) || k.StartsWith("gen_ai", StringComparison.Ordinal)))}");
            Assert.Equal(kind == "updowncounter" ? "gauge" : kind, type);
        }

        Assert.Empty(families.Keys.Where(k => k.StartsWith("aiguard_", StringComparison.Ordinal) || k.StartsWith("gen_ai_", StringComparison.Ordinal))
            .Except(documented.Values.Select(d => d.Prometheus)));
    }
}
