namespace AiGuard.IntegrationTests.Telemetry;

/// <summary>
/// The telemetry tests run alone: OpenTelemetry's providers listen to activity sources and meters
/// by name across the whole process, so another gateway running at the same time in this test
/// process would put its spans and measurements into the capture.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TelemetryCollection
{
    public const string Name = "telemetry";
}
