using AiGuard.Audit;
using AiGuard.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;
using Serilog.Extensions.Logging;

namespace AiGuard.Telemetry;

/// <summary>Wires OpenTelemetry: traces, metrics and logs over OTLP, and the optional Prometheus scrape endpoint, only when configured.</summary>
public static class TelemetryServiceCollectionExtensions
{
    /// <summary>The meters exported besides AiGuard's own.</summary>
    public static readonly string[] PlatformMeters = ["Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Net.Http"];

    /// <remarks>
    /// When neither OTLP export nor the Prometheus endpoint is on, nothing is registered, so no
    /// listener exists and the request path pays nothing for telemetry. The standard variables
    /// (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>, <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>, <c>OTEL_SERVICE_NAME</c>,
    /// <c>OTEL_RESOURCE_ATTRIBUTES</c>...) are honoured by the exporter; <c>AiGuard:Telemetry</c>
    /// settings win over them.
    /// </remarks>
    public static IServiceCollection AddAiGuardTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        var options = Read(configuration);
        if (Validate(options) is { Count: > 0 } errors)
        {
            throw new GatewayConfigurationException(errors);
        }

        var otlp = IsEnabled(options);
        var prometheus = options.Prometheus.Enabled;
        if (!otlp && !prometheus)
        {
            return services;
        }

        var telemetry = services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(Environment.GetEnvironmentVariable("OTEL_SERVICE_NAME") ?? options.ServiceName))
            .WithMetrics(metrics =>
            {
                metrics
                    .AddMeter(GuardTelemetry.MeterPrefix + "*")
                    .AddMeter(PlatformMeters)
                    .AddAspNetCoreInstrumentation()
                    .AddHttpClientInstrumentation()
                    .AddRuntimeInstrumentation();
                if (otlp)
                {
                    metrics.AddOtlpExporter(exporter => Configure(exporter, options, "v1/metrics"));
                }

                if (prometheus)
                {
                    metrics.AddPrometheusExporter(exporter => exporter.ScrapeEndpointPath = options.Prometheus.Path);
                }
            });
        services.AddHostedService<TelemetryPrimer>();
        if (!otlp)
        {
            return services;
        }

        telemetry
            .WithTracing(tracing => tracing
                .AddSource(GuardTelemetry.ActivitySourceName, "Yarp.ReverseProxy")
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddOtlpExporter(exporter => Configure(exporter, options, "v1/traces")))
            .WithLogging(logging => logging.AddOtlpExporter(exporter => Configure(exporter, options, "v1/logs")));

        if (options.AuditLogs)
        {
            services.AddSingleton<IAuditSink, OtlpAuditSink>();
            services.Configure<LoggerFilterOptions>(filters =>
            {
                // Audit records go to OTLP at every level; the operational log (Serilog) does not repeat them.
                filters.AddFilter<OpenTelemetryLoggerProvider>(OtlpAuditSink.Category, LogLevel.Information);
                filters.AddFilter<SerilogLoggerProvider>(OtlpAuditSink.Category, LogLevel.None);
            });
        }

        return services;
    }

    /// <summary>
    /// Maps the Prometheus scrape endpoint when <c>AiGuard:Telemetry:Prometheus:Enabled</c> is true
    /// (null otherwise). It answers without an API key and ahead of every proxy route (no route can
    /// shadow it), so map it on a listener that is not reachable from public networks.
    /// </summary>
    /// <param name="endpoints">The gateway's application, or another listener's endpoints (an admin port).</param>
    /// <param name="path">The path; <c>AiGuard:Telemetry:Prometheus:Path</c> (default <c>/metrics</c>) when null.</param>
    public static IEndpointConventionBuilder? MapAiGuardPrometheus(this IEndpointRouteBuilder endpoints, string? path = null)
    {
        var options = Read(endpoints.ServiceProvider.GetRequiredService<IConfiguration>());
        if (!options.Prometheus.Enabled)
        {
            return null;
        }

        return endpoints.MapPrometheusScrapingEndpoint(path ?? options.Prometheus.Path)
            .AllowAnonymous()
            .WithOrder(int.MinValue)
            .WithDisplayName("AiGuard Prometheus scrape");
    }

    /// <summary>The <c>AiGuard:Telemetry</c> settings.</summary>
    public static TelemetryOptions Read(IConfiguration configuration) =>
        configuration.GetSection(TelemetryOptions.SectionName).Get<TelemetryOptions>() ?? new TelemetryOptions();

    /// <summary>Every problem of the <c>AiGuard:Telemetry</c> settings, each naming its setting; empty when they can be used.</summary>
    public static List<string> Validate(TelemetryOptions options)
    {
        const string At = TelemetryOptions.SectionName;
        var errors = new List<string>();
        if (!string.IsNullOrEmpty(options.OtlpProtocol) && options.OtlpProtocol is not ("grpc" or "http/protobuf"))
        {
            errors.Add($"{At}:OtlpProtocol '{Pipeline.Excerpt.Of(options.OtlpProtocol, 40)}' is not one of: grpc, http/protobuf.");
        }

        if (!string.IsNullOrEmpty(options.OtlpEndpoint)
            && !(Uri.TryCreate(options.OtlpEndpoint, UriKind.Absolute, out var endpoint) && endpoint.Scheme is "http" or "https"))
        {
            errors.Add($"{At}:OtlpEndpoint '{Pipeline.Excerpt.Of(options.OtlpEndpoint, 80)}' is not an absolute http:// or https:// address (for example http://otel-collector:4317).");
        }

        if (string.IsNullOrWhiteSpace(options.ServiceName))
        {
            errors.Add($"{At}:ServiceName must not be empty.");
        }

        if (options.MaxModelNames < 1)
        {
            errors.Add($"{At}:MaxModelNames must be at least 1.");
        }

        if (options.Prometheus.Enabled && (string.IsNullOrEmpty(options.Prometheus.Path) || options.Prometheus.Path[0] != '/' || options.Prometheus.Path.Contains('{', StringComparison.Ordinal)))
        {
            errors.Add($"{At}:Prometheus:Path '{Pipeline.Excerpt.Of(options.Prometheus.Path ?? string.Empty, 80)}' must be a literal path starting with '/' (for example /metrics).");
        }

        return errors;
    }

    /// <summary>On when configured explicitly, else when an OTLP endpoint is given in settings or in the environment.</summary>
    public static bool IsEnabled(TelemetryOptions options) =>
        options.Enabled ?? (!string.IsNullOrEmpty(options.OtlpEndpoint) || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT")));

    private static void Configure(OtlpExporterOptions exporter, TelemetryOptions options, string signalPath)
    {
        var http = options.OtlpProtocol == "http/protobuf";
        if (!string.IsNullOrEmpty(options.OtlpProtocol))
        {
            exporter.Protocol = http ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
        }

        if (!string.IsNullOrEmpty(options.OtlpEndpoint))
        {
            // Set in code, the endpoint is used as given; over HTTP each signal has its own path.
            var endpoint = options.OtlpEndpoint.TrimEnd('/');
            exporter.Endpoint = new Uri(http ? $"{endpoint}/{signalPath}" : endpoint);
        }
    }
}
