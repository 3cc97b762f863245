using AiGuard.Authorization;
using AiGuard.Inspection.Input;
using AiGuard.Pipeline;
using AiGuard.Protocols;
using AiGuard.Proxy;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Diagnostics;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;

namespace AiGuard.Hosting;

/// <summary>Composes the walk of one request (docs/pipeline.md) on a built application.</summary>
public static class AiGuardApplicationExtensions
{
    public static WebApplication UseAiGuard(this WebApplication app)
    {
        app.UseExceptionHandler(errorApp => errorApp.Run(WriteInternalErrorAsync));
        app.UseRouting();
        app.UseAuthentication();                                 // identify + authenticate -> ClientIdentity
        // quarantine check: capability F/I (not yet built)
        app.UseAuthorization();                                  // authorize: route scopes and allowed routes

        app.MapGet("/healthz", () => Results.Text("ok")).AllowAnonymous();
        app.MapFallback(RouteNotFoundAsync);

        var forwardErrors = app.Services.GetRequiredService<ForwardErrorStage>();
        var parse = app.Services.GetRequiredService<ParseStage>();
        var modelAccess = app.Services.GetRequiredService<ModelAccessStage>();
        var inputGuards = app.Services.GetRequiredService<InputGuardStage>();
        app.MapReverseProxy(proxy =>
        {
            proxy.Use(forwardErrors.InvokeAsync);                // forward failures -> 502/503/504 problems
            // rate limit: capability D (not yet built)
            proxy.Use(parse.InvokeAsync);                        // parse: protocol adapter -> InferenceRequest
            proxy.Use(modelAccess.InvokeAsync);                  // authorize the model the request names
            proxy.Use(inputGuards.InvokeAsync);                  // input guards
            // anomaly engine: capability F (not yet built)
            proxy.UseSessionAffinity();
            proxy.UseLoadBalancing();
            proxy.UsePassiveHealthChecks();                      // forward (YARP)
            // parse response + output guards: capability G (not yet built)
        });

        return app;
    }

    private static Task RouteNotFoundAsync(HttpContext context) =>
        context.RequestServices.GetRequiredService<RefusalWriter>().RefuseAsync(
            context,
            GuardDecision.Refuse(PipelineStage.Route, StatusCodes.Status404NotFound, ProblemCodes.RouteNotFound, "No AiGuard route matches this path."));

    private static Task WriteInternalErrorAsync(HttpContext context)
    {
        // The exception itself is logged by the exception handler; the client gets an incident id only.
        _ = context.Features.Get<IExceptionHandlerFeature>();
        return context.RequestServices.GetRequiredService<RefusalWriter>().RefuseAsync(
            context,
            GuardDecision.Refuse(PipelineStage.Forward, StatusCodes.Status500InternalServerError, ProblemCodes.InternalError, "AiGuard failed to handle this request."));
    }
}
