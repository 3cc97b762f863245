namespace AiGuard.Telemetry;

/// <summary>OpenTelemetry export (section <c>AiGuard:Telemetry</c>); the standard <c>OTEL_*</c> variables apply too.</summary>
public sealed class TelemetryOptions
{
    public const string SectionName = "AiGuard:Telemetry";

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

    /// <summary>Also send every audit event as an OTLP log record (when OTLP export is on).</summary>
    public bool AuditLogs { get; set; } = true;

    /// <summary>The <c>gen_ai.system</c> attribute of the gen_ai metrics: the kind of model server behind the OpenAI routes.</summary>
    public string GenAiSystem { get; set; } = "openai";

    /// <summary>
    /// The most distinct model names kept as <c>gen_ai.request.model</c> / <c>gen_ai.response.model</c>
    /// values; later ones are counted as <c>_OTHER</c> (a client can put any string in <c>model</c>).
    /// </summary>
    public int MaxModelNames { get; set; } = 100;

    /// <summary>The Prometheus scrape endpoint (metrics only), off by default.</summary>
    public PrometheusOptions Prometheus { get; set; } = new();
}

/// <summary>Section <c>AiGuard:Telemetry:Prometheus</c>.</summary>
public sealed class PrometheusOptions
{
    /// <summary>Serve the metrics in the Prometheus text format. Keep the endpoint off public networks.</summary>
    public bool Enabled { get; set; }

    /// <summary>The path it is served at.</summary>
    public string Path { get; set; } = "/metrics";

    /// <summary>
    /// The listener that serves it: <c>admin</c> (default; the admin API's port, internal by
    /// default, beside the probes) or <c>gateway</c> (the port clients use; for set-ups with the
    /// admin API off).
    /// </summary>
    public string Listener { get; set; } = PrometheusListeners.Admin;
}

/// <summary>The values of <c>AiGuard:Telemetry:Prometheus:Listener</c>.</summary>
public static class PrometheusListeners
{
    public const string Admin = "admin";

    public const string Gateway = "gateway";
}
