namespace AiGuard.Telemetry;

/// <summary>OpenTelemetry export (section <c>AiGuard:Telemetry</c>); the standard <c>OTEL_*</c> variables apply too.</summary>
public sealed class TelemetryOptions
{
    /// <summary>
    /// Export traces, metrics and logs over OTLP. Unset: on when an OTLP endpoint is configured here
    /// or in <c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, off otherwise (then nothing is collected at all).
    /// </summary>
    public bool? Enabled { get; set; }

    /// <summary>The OTLP endpoint; empty to use <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> or the exporter's default.</summary>
    public string? OtlpEndpoint { get; set; }

    /// <summary><c>grpc</c> or <c>http/protobuf</c>; empty to use <c>OTEL_EXPORTER_OTLP_PROTOCOL</c> (default grpc).</summary>
    public string? OtlpProtocol { get; set; }

    /// <summary>The <c>service.name</c> resource attribute unless <c>OTEL_SERVICE_NAME</c> says otherwise.</summary>
    public string ServiceName { get; set; } = "aiguard";
}
