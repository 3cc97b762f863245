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
        app.MapFallback(RouteNotFoundAsync);

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

    private static async Task RouteNotFoundAsync(HttpContext context)
    {
        var guard = GuardContext.Get(context)!;
        await context.RequestServices.GetRequiredService<DecisionRecorder>().RefuseAsync(
            guard,
            StageNames.Route,
            GuardDecision.Refuse(StatusCodes.Status404NotFound, ProblemCodes.RouteNotFound, "No AiGuard route matches this path."));
    }
}
