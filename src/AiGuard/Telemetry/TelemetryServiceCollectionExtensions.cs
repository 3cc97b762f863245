using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Exporter;
using OpenTelemetry.Logs;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace AiGuard.Telemetry;

/// <summary>Wires OpenTelemetry: traces, metrics and logs over OTLP, only when export is configured.</summary>
public static class TelemetryServiceCollectionExtensions
{
    /// <summary>The meters exported besides AiGuard's own.</summary>
    public static readonly string[] PlatformMeters = ["Microsoft.AspNetCore.Hosting", "Microsoft.AspNetCore.Server.Kestrel", "System.Net.Http"];

    /// <remarks>
    /// When export is off nothing is registered, so no listener exists and the request path pays
    /// nothing for telemetry. The standard variables (<c>OTEL_EXPORTER_OTLP_ENDPOINT</c>,
    /// <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>, <c>OTEL_SERVICE_NAME</c>, <c>OTEL_RESOURCE_ATTRIBUTES</c>...) are honoured
    /// by the exporter; <c>AiGuard:Telemetry</c> settings win over them.
    /// </remarks>
    public static IServiceCollection AddAiGuardTelemetry(this IServiceCollection services, IConfiguration configuration)
    {
        var options = configuration.GetSection("AiGuard:Telemetry").Get<TelemetryOptions>() ?? new TelemetryOptions();
        if (!IsEnabled(options))
        {
            return services;
        }

        services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(Environment.GetEnvironmentVariable("OTEL_SERVICE_NAME") ?? options.ServiceName))
            .WithTracing(tracing => tracing
                .AddSource(GuardTelemetry.ActivitySourceName, "Yarp.ReverseProxy")
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddOtlpExporter(exporter => Configure(exporter, options, "v1/traces")))
            .WithMetrics(metrics => metrics
                .AddMeter(GuardTelemetry.MeterPrefix + "*")
                .AddMeter(PlatformMeters)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddOtlpExporter(exporter => Configure(exporter, options, "v1/metrics")))
            .WithLogging(logging => logging.AddOtlpExporter(exporter => Configure(exporter, options, "v1/logs")));
        return services;
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
