using AiGuard.Authorization;
using AiGuard.Configuration;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Model;

namespace AiGuard.Pipeline;

/// <summary>
/// The gate every request passes before YARP: it takes one configuration snapshot for the
/// request, authenticates the client, authorizes the route, and answers any unexpected failure
/// with an audited 500.
/// </summary>
/// <remarks>
/// One lean middleware instead of the general authentication and authorization middlewares,
/// which cost 16-22% of bare YARP's throughput here (docs/benchmarks.md): the key is hashed
/// once, the principal was built once per key and configuration, and the route's policy comes
/// from the snapshot. <c>HttpContext.User</c> is still set, so later components see the client.
/// </remarks>
public sealed partial class GuardMiddleware
{
    private readonly RequestDelegate _next;
    private readonly GatewayConfiguration _configuration;
    private readonly DecisionRecorder _recorder;
    private readonly TimeProvider _time;
    private readonly ILogger<GuardMiddleware> _logger;

    public GuardMiddleware(RequestDelegate next, GatewayConfiguration configuration, DecisionRecorder recorder, TimeProvider time, ILogger<GuardMiddleware> logger)
    {
        _next = next;
        _configuration = configuration;
        _recorder = recorder;
        _time = time;
        _logger = logger;
    }

    public async Task InvokeAsync(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        if (endpoint?.Metadata.GetMetadata<IAllowAnonymous>() is not null)
        {
            await _next(context);
            return;
        }

        var guard = new GuardContext(context, _configuration.Current);
        context.Features.Set(guard);
        try
        {
            var route = endpoint?.Metadata.GetMetadata<RouteModel>();
            if (route is not null && guard.Snapshot.TryGetPolicy(route.Config.RouteId, out var policy))
            {
                guard.Policy = policy;
            }

            var decision = Authenticate(guard);
            if (decision.IsContinue && route is not null)
            {
                decision = guard.Policy is null
                    ? GuardDecision.Refuse(StatusCodes.Status503ServiceUnavailable, ProblemCodes.RoutePolicyMissing, "This route has no AiGuard policy configured.")
                    : RouteAccess.Check(guard.Client!, guard.Policy);
            }

            if (decision.IsRefusal)
            {
                var stage = guard.Client is null ? StageNames.Authenticate : guard.Policy is null ? StageNames.Route : StageNames.Authorize;
                await _recorder.RefuseAsync(guard, stage, decision);
                return;
            }

            await _next(context);
        }
        catch (Exception ex) when (!context.RequestAborted.IsCancellationRequested || ex is not OperationCanceledException)
        {
            LogUnhandled(_logger, ex, context.Request.Method, guard.RouteId);
            if (context.Response.HasStarted)
            {
                // Too late for a status code: record it and cut the connection so the client sees a failure, not a truncated success.
                await _recorder.RefuseAsync(guard, StageNames.Gateway, Internal());
                context.Abort();
                return;
            }

            await _recorder.RefuseAsync(guard, StageNames.Gateway, Internal());
        }
    }

    private GuardDecision Authenticate(GuardContext guard)
    {
        using var span = Telemetry.GuardTelemetry.StartStage(StageNames.Authenticate);
        var keys = guard.Snapshot.Keys;
        var presented = PresentedKey(guard.HttpContext.Request, keys.HeaderName);
        if (presented.IsEmpty)
        {
            return GuardDecision.Refuse(StatusCodes.Status401Unauthorized, ProblemCodes.MissingCredentials, "Send an API key as 'Authorization: Bearer <key>'.");
        }

        var result = keys.Validate(presented, _time.GetUtcNow());
        if (!result.Succeeded)
        {
            guard.PresentedKeyId = result.KeyId;
            return GuardDecision.Refuse(StatusCodes.Status401Unauthorized, result.FailureCode!, result.FailureCode switch
            {
                ProblemCodes.ExpiredApiKey => "The API key has expired.",
                ProblemCodes.RevokedApiKey => "The API key has been revoked.",
                _ => "The API key is not valid.",
            });
        }

        guard.Client = result.Identity;
        guard.HttpContext.User = result.Principal!;
        return default;
    }

    /// <summary>The key from <c>Authorization: Bearer</c> (or a bare Authorization value), else from the key header.</summary>
    private static ReadOnlySpan<char> PresentedKey(HttpRequest request, string headerName)
    {
        var authorization = request.Headers.Authorization;
        if (authorization.Count > 0)
        {
            var value = authorization.Count == 1 ? authorization[0].AsSpan() : authorization.ToString().AsSpan();
            value = value.Trim();
            return value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase) ? value[7..].Trim() : value;
        }

        var header = request.Headers[headerName];
        return header.Count == 0 ? [] : (header.Count == 1 ? header[0].AsSpan() : header.ToString().AsSpan()).Trim();
    }

    private static GuardDecision Internal() =>
        GuardDecision.Refuse(StatusCodes.Status500InternalServerError, ProblemCodes.InternalError, "AiGuard failed to handle this request.");

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled failure while handling {Method} on route {RouteId}")]
    private static partial void LogUnhandled(ILogger logger, Exception exception, string method, string? routeId);
}
