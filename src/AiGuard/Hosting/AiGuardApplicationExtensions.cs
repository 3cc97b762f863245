using AiGuard.Anomaly;
using AiGuard.Configuration;
using AiGuard.Pipeline;
using AiGuard.Telemetry;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace AiGuard.Hosting;

/// <summary>Composes the walk of one request (docs/pipeline.md) on a built application.</summary>
public static class AiGuardApplicationExtensions
{
    /// <summary>A route with an anomaly policy needs a model that computes this gateway's features.</summary>
    private static void CheckAnomalyModel(GatewayConfiguration configuration, AnomalyModelHost model)
    {
        // Loaded (and pinned) at start even when no route uses it yet: a bad model fails here.
        _ = model.Scorer;
        var watched = configuration.Current.Options.Policies.Where(p => !string.IsNullOrEmpty(p.Value.Anomaly)).Select(p => p.Key).ToArray();
        if (watched.Length == 0)
        {
            return;
        }

        if (model.Scorer is null)
        {
            throw new GatewayConfigurationException(
                $"AiGuard:Policies ({string.Join(", ", watched)}) name an anomaly policy, but no anomaly model is loaded: set {AnomalyModelOptions.SectionName}:Path, or keep the shipped {AnomalyModelHost.ShippedModelPath} next to the gateway.");
        }

        if (model.Scorer.FeatureCount != AnomalyFeatures.Count || model.Scorer.FeatureSchemaVersion != AnomalyFeatures.SchemaVersion)
        {
            throw new GatewayConfigurationException(
                $"{AnomalyModelOptions.SectionName}: the model takes {model.Scorer.FeatureCount} features of schema {model.Scorer.FeatureSchemaVersion}, but this gateway computes {AnomalyFeatures.Count} (feature schema {AnomalyFeatures.SchemaVersion}); retrain it (docs/anomaly-engine.md).");
        }
    }

    public static WebApplication UseAiGuard(this WebApplication app)
    {
        // Fail at start, with every problem named, rather than on the first request.
        var configuration = app.Services.GetRequiredService<GatewayConfiguration>();
        CheckAnomalyModel(configuration, app.Services.GetRequiredService<AnomalyModelHost>());

        // GuardMiddleware authenticates every request once (and calls the JwtBearer handler itself
        // for bearer tokens). WebApplication would otherwise add the general authentication
        // middleware on its own as soon as authentication services exist, a second pass that costs
        // about a quarter of bare YARP's throughput here (docs/benchmarks.md). This is the marker
        // UseAuthentication leaves for that check.
        ((IApplicationBuilder)app).Properties["__AuthenticationMiddlewareSet"] = true;

        app.UseRouting();                                        // YARP route match (and the gateway's own endpoints)
        app.UseMiddleware<GuardMiddleware>();                    // snapshot, authenticate, authorize the route; 500 for the unexpected

        app.MapGet("/healthz", () => Results.Text("ok")).AllowAnonymous();
        // The Prometheus scrape endpoint, when enabled with Listener=gateway: no key, ahead of every proxy route.
        app.MapAiGuardPrometheus(app.Services, PrometheusListeners.Gateway);
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
