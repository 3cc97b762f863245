using AiGuard.Anomaly;
using AiGuard.Configuration;
using AiGuard.Pipeline;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace AiGuard.Hosting;

/// <summary>Composes the walk of one request (docs/pipeline.md) on a built application.</summary>
public static class AiGuardApplicationExtensions
{
    public static WebApplication UseAiGuard(this WebApplication app)
    {
        // Fail at start, with every problem named, rather than on the first request.
        _ = app.Services.GetRequiredService<GatewayConfiguration>();
        _ = app.Services.GetRequiredService<AnomalyModelHost>();

        app.UseRouting();                                        // YARP route match (and the gateway's own endpoints)
        app.UseMiddleware<GuardMiddleware>();                    // snapshot, authenticate, authorize the route; 500 for the unexpected

        app.MapGet("/healthz", () => Results.Text("ok")).AllowAnonymous();
        // No fallback endpoint: an unmatched path reaches GuardMiddleware without an endpoint and is
        // answered there (404 after authentication), which keeps the route table YARP's alone.

        var pipeline = app.Services.GetRequiredService<GuardPipeline>();
        app.MapReverseProxy(proxy =>
        {
            proxy.Use(pipeline.InvokeAsync);                     // parse -> request stages -> (forward) -> forward errors, response stages
            proxy.UseSessionAffinity();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();                      // forward (YARP)
        });

        return app;
    }
}
