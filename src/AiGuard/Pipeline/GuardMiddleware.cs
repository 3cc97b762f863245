using AiGuard.Authorization;
using AiGuard.Configuration;
using AiGuard.Identity;
using AiGuard.Limits;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Yarp.ReverseProxy.Model;

namespace AiGuard.Pipeline;

/// <summary>
/// The gate every request passes before YARP: it takes one configuration snapshot for the
/// request, authenticates the client and authorizes the route.
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
    private readonly AuthenticationThrottle _throttle;
    private readonly JwtAuthenticator _jwt;
    private readonly RateLimitMetrics _limitMetrics;
    private readonly PipelineMetrics _metrics;
    private readonly ILogger<GuardMiddleware> _logger;

    public GuardMiddleware(RequestDelegate next, GatewayConfiguration configuration, DecisionRecorder recorder, TimeProvider time, AuthenticationThrottle throttle, RateLimitMetrics limitMetrics, JwtAuthenticator jwt, ILogger<GuardMiddleware> logger)
    {
        _metrics = recorder.Metrics;
        _jwt = jwt;
        _next = next;
        _configuration = configuration;
        _recorder = recorder;
        _time = time;
        _throttle = throttle;
        _limitMetrics = limitMetrics;
        _logger = logger;
    }

    public Task InvokeAsync(HttpContext context)
    {
        var endpoint = context.GetEndpoint();
        var route = endpoint?.Metadata.GetMetadata<RouteModel>();
        if (route is null && endpoint?.Metadata.GetMetadata<IAllowAnonymous>() is not null)
        {
            // A gateway endpoint open to all (the liveness probe); proxied routes never are.
            return _next(context);
        }

        var guard = new GuardContext(context, _configuration.Current);
        context.Features.Set(guard);
        string stage;
        GuardDecision decision;
        try
        {
            if (route is not null && guard.Snapshot.TryGetPolicy(route.Config.RouteId, out var policy))
            {
                guard.Policy = policy;
            }

            decision = Authenticate(guard, out var token);
            if (token is not null)
            {
                // A bearer token: validation may fetch the provider's keys, so this path is asynchronous.
                return InvokeWithTokenAsync(guard, route, token);
            }

            if (decision.IsContinue)
            {
                decision = Authorize(guard, route);
            }

            if (decision.IsContinue)
            {
                // The common path: no state machine here; GuardPipeline handles its own failures.
                return _next(context);
            }

            stage = Stage(guard);
        }
        catch (Exception ex)
        {
            LogUnhandled(_logger, ex, context.Request.Method, guard.RouteId);
            (stage, decision) = (StageNames.Gateway, Internal());
        }

        return _recorder.RefuseAsync(guard, stage, decision).AsTask();
    }

    private async Task InvokeWithTokenAsync(GuardContext guard, RouteModel? route, string token)
    {
        string stage;
        GuardDecision decision;
        try
        {
            using (_metrics.Time(StageNames.Authenticate))
            {
                var result = await _jwt.AuthenticateAsync(guard.HttpContext, token);
                decision = Accept(guard, result, token, guard.HttpContext.Connection.RemoteIpAddress);
            }

            if (decision.IsContinue)
            {
                decision = Authorize(guard, route);
            }

            if (decision.IsContinue)
            {
                await _next(guard.HttpContext);
                return;
            }

            stage = Stage(guard);
        }
        catch (Exception ex)
        {
            LogUnhandled(_logger, ex, guard.HttpContext.Request.Method, guard.RouteId);
            (stage, decision) = (StageNames.Gateway, Internal());
        }

        await _recorder.RefuseAsync(guard, stage, decision);
    }

    private static string Stage(GuardContext guard) =>
        guard.Client is null ? StageNames.Authenticate : guard.Policy is null ? StageNames.Route : StageNames.Authorize;

    private static GuardDecision Authorize(GuardContext guard, RouteModel? route) =>
        route is null
            ? GuardDecision.Refuse(StatusCodes.Status404NotFound, ProblemCodes.RouteNotFound, "No AiGuard route matches this method and path.")
            : guard.Policy is null
                ? GuardDecision.Refuse(StatusCodes.Status503ServiceUnavailable, ProblemCodes.RoutePolicyMissing, "This route has no AiGuard policy configured.")
                : RouteAccess.Check(guard.Client!, guard.Policy);

    /// <summary>Authenticates an API key at once; for a bearer token returns it in <paramref name="token"/> for the asynchronous path.</summary>
    private GuardDecision Authenticate(GuardContext guard, out string? token)
    {
        token = null;
        using var timing = _metrics.Time(StageNames.Authenticate);
        var keys = guard.Snapshot.Keys;
        var presented = PresentedKey(guard.HttpContext.Request, keys.HeaderName);
        var address = guard.HttpContext.Connection.RemoteIpAddress;
        if (presented.IsEmpty)
        {
            if (_throttle.Unauthenticated(guard.Snapshot, address) is { } flood)
            {
                return Throttled(guard, flood, "Too many requests without credentials from this address");
            }

            _limitMetrics.AuthenticationFailed(ProblemCodes.MissingCredentials);
            return GuardDecision.Refuse(StatusCodes.Status401Unauthorized, ProblemCodes.MissingCredentials, "Send an API key as 'Authorization: Bearer <key>'.");
        }

        if (_throttle.Check(guard.Snapshot, address, presented) is { } throttled)
        {
            // The key is not even checked: guessing goes no faster than the configured pace.
            return Throttled(guard, throttled, "Too many failed authentications from this address or for this key id");
        }

        if (_jwt.Enabled && JwtAuthenticator.LooksLikeJwt(presented))
        {
            token = presented.ToString();
            return default;
        }

        return Accept(guard, keys.Validate(presented, _time.GetUtcNow(), KeepAliveItems(guard.HttpContext)), presented, address);
    }

    /// <summary>Turns a validation into the client of the request or a counted, throttled 401.</summary>
    private GuardDecision Accept(GuardContext guard, ApiKeyValidation result, ReadOnlySpan<char> presented, System.Net.IPAddress? address)
    {
        if (!result.Succeeded)
        {
            _throttle.Failed(guard.Snapshot, address, presented);
            _limitMetrics.AuthenticationFailed(result.FailureCode!);
            guard.PresentedKeyId = result.KeyId;
            return GuardDecision.Refuse(StatusCodes.Status401Unauthorized, result.FailureCode!, result.FailureCode switch
            {
                ProblemCodes.ExpiredApiKey => "The API key has expired.",
                ProblemCodes.RevokedApiKey => "The API key has been revoked.",
                ProblemCodes.ExpiredToken => "The bearer token has expired.",
                ProblemCodes.InvalidToken => "The bearer token is not valid for this gateway (signature, issuer, audience, algorithm or claims).",
                _ => "The API key is not valid.",
            });
        }

        guard.Client = result.Identity;
        guard.HttpContext.User = result.Principal!;
        return default;
    }

    private GuardDecision Throttled(GuardContext guard, AuthenticationThrottle.Throttled throttled, string what)
    {
        _limitMetrics.AuthenticationThrottled(throttled.Limit);
        guard.RetryAfterSeconds = Math.Max(1, ClockRateLimiter.Seconds(throttled.RetryAfter));
        return GuardDecision.Refuse(
            StatusCodes.Status429TooManyRequests,
            ProblemCodes.AuthenticationThrottled,
            $"{what}; retry after {guard.RetryAfterSeconds} s.");
    }

    /// <summary>The connection's items on HTTP/1.x, where requests on a connection come one at a time; null otherwise.</summary>
    private static IDictionary<object, object?>? KeepAliveItems(HttpContext context) =>
        HttpProtocol.IsHttp11(context.Request.Protocol) || HttpProtocol.IsHttp10(context.Request.Protocol)
            ? context.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionItemsFeature>()?.Items
            : null;

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

    /// <summary>The refusal for a failure of the gateway itself: no detail of the failure leaves the process.</summary>
    internal static GuardDecision Internal() =>
        GuardDecision.Refuse(StatusCodes.Status500InternalServerError, ProblemCodes.InternalError, "AiGuard failed to handle this request.");

    [LoggerMessage(Level = LogLevel.Error, Message = "Unhandled failure while handling {Method} on route {RouteId}")]
    internal static partial void LogUnhandled(ILogger logger, Exception exception, string method, string? routeId);
}
