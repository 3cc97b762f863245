using AiGuard.Audit;
using AiGuard.Configuration;
using AiGuard.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
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
        if (Validate(configuration) is { Count: > 0 } errors)
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

        // The OTLP log pipeline keeps the levels the operational log (Serilog) is configured with,
        // so what is quiet on the console (per-request framework lines such as YARP's "Proxying to
        // <url>", which carry clients' query strings) is not exported either.
        services.Configure<LoggerFilterOptions>(filters => MirrorSerilogLevels(configuration, filters));

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
    /// Adds rules for the OpenTelemetry log provider from <c>Serilog:MinimumLevel</c>: its
    /// <c>Default</c> (or the section's own value) and each <c>Override</c> by category prefix.
    /// </summary>
    public static void MirrorSerilogLevels(IConfiguration configuration, LoggerFilterOptions filters)
    {
        var minimum = configuration.GetSection("Serilog:MinimumLevel");
        if (LevelOf(minimum.Value ?? minimum["Default"]) is { } level)
        {
            filters.AddFilter<OpenTelemetryLoggerProvider>(null, level);
        }

        foreach (var rule in minimum.GetSection("Override").GetChildren())
        {
            if (LevelOf(rule.Value) is { } overridden)
            {
                filters.AddFilter<OpenTelemetryLoggerProvider>(rule.Key, overridden);
            }
        }

        // Provider rules win over rules for every provider: keep ASP.NET Core's per-request hosting
        // log off for this provider too (AiGuardLogging turns it off for all: no per-request scope).
        filters.AddFilter<OpenTelemetryLoggerProvider>(AiGuardLogging.HostingDiagnostics, LogLevel.None);
    }

    private static LogLevel? LevelOf(string? serilogLevel) => serilogLevel?.Trim().ToLowerInvariant() switch
    {
        "verbose" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "information" => LogLevel.Information,
        "warning" => LogLevel.Warning,
        "error" => LogLevel.Error,
        "fatal" => LogLevel.Critical,
        _ => null,
    };

    /// <summary>
    /// Maps the Prometheus scrape endpoint on <paramref name="endpoints"/> when
    /// <c>AiGuard:Telemetry:Prometheus:Enabled</c> is true and <c>Prometheus:Listener</c> names
    /// <paramref name="listener"/> (null otherwise). It answers without a key and ahead of every
    /// other route (no proxy route can shadow it), so it belongs on a listener that is not
    /// reachable from public networks: the admin listener by default.
    /// </summary>
    /// <param name="endpoints">The gateway's application or the admin listener's.</param>
    /// <param name="gateway">The gateway's services, whose meter provider holds the exporter.</param>
    /// <param name="listener">Which listener <paramref name="endpoints"/> is (<see cref="PrometheusListeners"/>).</param>
    public static IEndpointConventionBuilder? MapAiGuardPrometheus(this IEndpointRouteBuilder endpoints, IServiceProvider gateway, string listener)
    {
        var options = Read(gateway.GetRequiredService<IConfiguration>());
        if (!options.Prometheus.Enabled || !string.Equals(options.Prometheus.Listener, listener, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        return endpoints.MapPrometheusScrapingEndpoint(options.Prometheus.Path, gateway.GetRequiredService<MeterProvider>(), configureBranchedPipeline: null!, optionsName: null!)
            .AllowAnonymous()
            .WithOrder(int.MinValue)
            .WithDisplayName("AiGuard Prometheus scrape")
            .ExcludeFromDescription();
    }

    /// <summary>The <c>AiGuard:Telemetry</c> settings.</summary>
    public static TelemetryOptions Read(IConfiguration configuration) =>
        configuration.GetSection(TelemetryOptions.SectionName).Get<TelemetryOptions>() ?? new TelemetryOptions();

    /// <summary>Every problem of the <c>AiGuard:Telemetry</c> settings, each naming its setting; empty when they can be used.</summary>
    /// <param name="options">The settings.</param>
    /// <param name="adminEnabled">Whether the admin listener runs (<c>AiGuard:Admin:Enabled</c>), where the scrape endpoint is served by default.</param>
    public static List<string> Validate(TelemetryOptions options, bool adminEnabled = true)
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

        if (options.Prometheus.Enabled)
        {
            var listener = options.Prometheus.Listener;
            if (!string.Equals(listener, PrometheusListeners.Admin, StringComparison.OrdinalIgnoreCase) && !string.Equals(listener, PrometheusListeners.Gateway, StringComparison.OrdinalIgnoreCase))
            {
                errors.Add($"{At}:Prometheus:Listener '{Pipeline.Excerpt.Of(listener ?? string.Empty, 40)}' is not one of: admin, gateway.");
            }
            else if (!adminEnabled && string.Equals(listener, PrometheusListeners.Admin, StringComparison.OrdinalIgnoreCase))
            {
                errors.Add($"{At}:Prometheus:Listener is 'admin' but the admin listener is off (AiGuard:Admin:Enabled is false): turn it on, or set the listener to 'gateway'.");
            }
        }

        return errors;
    }

    /// <summary>Every problem of the <c>AiGuard:Telemetry</c> settings in <paramref name="configuration"/> (what a start would refuse).</summary>
    public static List<string> Validate(IConfiguration configuration) => Validate(Read(configuration), AdminEnabled(configuration));

    /// <summary>Whether the admin listener runs (<c>AiGuard:Admin:Enabled</c>, default true).</summary>
    private static bool AdminEnabled(IConfiguration configuration) =>
        configuration.GetValue($"{AiGuardOptions.SectionName}:Admin:Enabled", defaultValue: true);

    /// <summary>On when configured explicitly, else when an OTLP endpoint is given in settings or in the environment.</summary>
    public static bool IsEnabled(TelemetryOptions options) =>
        options.Enabled ?? (!string.IsNullOrEmpty(options.OtlpEndpoint) || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_ENDPOINT")));

    private static void Configure(OtlpExporterOptions exporter, TelemetryOptions options, string signalPath)
    {
        if (!string.IsNullOrEmpty(options.OtlpProtocol))
        {
            exporter.Protocol = options.OtlpProtocol == "http/protobuf" ? OtlpExportProtocol.HttpProtobuf : OtlpExportProtocol.Grpc;
        }

        if (EndpointFor(options, signalPath, Environment.GetEnvironmentVariable("OTEL_EXPORTER_OTLP_PROTOCOL")) is { } endpoint)
        {
            exporter.Endpoint = endpoint;
        }
    }

    /// <summary>
    /// The endpoint of one signal when <c>OtlpEndpoint</c> is set (null otherwise, leaving the
    /// exporter's own default). Set in code, an endpoint is used as given, so over HTTP (chosen by
    /// the setting, else by <c>OTEL_EXPORTER_OTLP_PROTOCOL</c>) the signal's path is appended.
    /// </summary>
    public static Uri? EndpointFor(TelemetryOptions options, string signalPath, string? environmentProtocol)
    {
        if (string.IsNullOrEmpty(options.OtlpEndpoint))
        {
            return null;
        }

        var protocol = string.IsNullOrEmpty(options.OtlpProtocol) ? environmentProtocol?.Trim() : options.OtlpProtocol;
        var endpoint = options.OtlpEndpoint.TrimEnd('/');
        return new Uri(protocol == "http/protobuf" ? $"{endpoint}/{signalPath}" : endpoint);
    }
}
