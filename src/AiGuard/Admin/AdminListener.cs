using AiGuard.Configuration;
using AiGuard.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AiGuard.Admin;

/// <summary>
/// The admin API's own listener: a second, small web application in the gateway's process, on
/// <c>AiGuard:Admin:Urls</c> (loopback by default), sharing the gateway's services (configuration,
/// quarantine list, audit trail) but none of its request path.
/// </summary>
/// <remarks>
/// A separate application rather than a second endpoint of the gateway's Kestrel: the proxy's
/// middleware, route table and YARP see no admin request and pay no per-request port check, and
/// no model route can ever be reached on the admin port (nor an admin endpoint on the proxy port).
/// Started with the gateway (a hosted service), stopped with it.
/// </remarks>
public sealed partial class AdminListener : IHostedService, IAsyncDisposable
{
    private readonly IServiceProvider _gateway;
    private readonly ILogger<AdminListener> _logger;
    private WebApplication? _app;

    public AdminListener(IServiceProvider gateway, ILogger<AdminListener> logger)
    {
        _gateway = gateway;
        _logger = logger;
    }

    /// <summary>The addresses the admin listener is bound to (with the ports the OS chose); empty when it is off.</summary>
    public IReadOnlyList<Uri> Addresses { get; private set; } = [];

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        var options = _gateway.GetRequiredService<GatewayConfiguration>().Current.Options.Admin;
        if (!options.Enabled)
        {
            LogDisabled(_logger);
            return;
        }

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection();
        builder.WebHost.UseUrls([.. AdminValidation.Urls(options)]);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = ConfigurationCheck.MaxFileBytes + 1;
        });

        // The gateway's logging (Serilog) and clock; the admin application has no configuration of its own.
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton(_gateway.GetRequiredService<ILoggerFactory>());
        builder.Services.AddSingleton(_gateway.GetRequiredService<TimeProvider>());
        builder.Services.AddSingleton(new AdminServices(_gateway));
        builder.Services.Configure<JsonOptions>(json => json.SerializerOptions.DefaultIgnoreCondition = System.Text.Json.Serialization.JsonIgnoreCondition.Never);
        builder.Services.AddOpenApi("v1", openapi => openapi.AddDocumentTransformer((document, _, _) =>
        {
            document.Info.Title = "AiGuard admin API";
            document.Info.Description = "Health, readiness, client status, quarantine and configuration of an AiGuard gateway (docs/admin-api.md). "
                + "Endpoints under /admin/v1 need 'Authorization: Bearer <admin key>' (AiGuard:Admin:Keys) or a model key with the 'aiguard.admin' scope.";
            return Task.CompletedTask;
        }));

        var app = builder.Build();
        app.MapAiGuardAdmin();
        app.MapAiGuardPrometheus(_gateway, PrometheusListeners.Admin);
        await app.StartAsync(cancellationToken);
        _app = app;
        Addresses = [.. app.Urls.Select(u => new Uri(u))];
        LogListening(_logger, string.Join(", ", app.Urls));
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        if (_app is { } app)
        {
            await app.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is { } app)
        {
            _app = null;
            await app.DisposeAsync();
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Admin API listening on {Urls}")]
    private static partial void LogListening(ILogger logger, string urls);

    [LoggerMessage(Level = LogLevel.Information, Message = "Admin API is off (AiGuard:Admin:Enabled is false)")]
    private static partial void LogDisabled(ILogger logger);
}
