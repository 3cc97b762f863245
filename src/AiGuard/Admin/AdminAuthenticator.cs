using System.Runtime.CompilerServices;
using AiGuard.Configuration;
using AiGuard.Identity;
using AiGuard.Limits;
using AiGuard.Pipeline;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace AiGuard.Admin;

/// <summary>
/// Decides who may use the admin API: an admin key (<c>AiGuard:Admin:Keys</c>, its own prefix and
/// its own store, unknown to the model routes), or a model key of <c>AiGuard:ApiKeys:Keys</c> that
/// carries the <see cref="AdminOptions.Scope"/> scope. Failed attempts are throttled per address and
/// key id with the same limits as the model routes, but counted apart from them: failures sent to
/// the public port can never lock an operator out of the admin port.
/// </summary>
public sealed class AdminAuthenticator : IDisposable
{
    private readonly ConditionalWeakTable<GatewaySnapshot, ApiKeyStore> _stores = [];
    private readonly AuthenticationThrottle _throttle;
    private readonly RateLimitMetrics _metrics;
    private readonly TimeProvider _time;

    public AdminAuthenticator(RateLimitMetrics metrics, TimeProvider time)
    {
        _throttle = new AuthenticationThrottle(time);
        _metrics = metrics;
        _time = time;
    }

    public void Dispose() => _throttle.Dispose();

    /// <summary>The admin keys of a configuration, built once per configuration.</summary>
    public ApiKeyStore AdminKeys(GatewaySnapshot snapshot) => _stores.GetValue(snapshot, s => Build(s.Options.Admin));

    /// <summary>Authenticates the request of <paramref name="guard"/>; on success <see cref="GuardContext.Client"/> is the operator.</summary>
    public GuardDecision Authenticate(GuardContext guard)
    {
        var request = guard.HttpContext.Request;
        var snapshot = guard.Snapshot;
        var presented = Presented(request, snapshot.Keys.HeaderName);
        var address = guard.HttpContext.Connection.RemoteIpAddress;
        if (presented.IsEmpty)
        {
            _metrics.AuthenticationFailed(ProblemCodes.MissingCredentials);
            return GuardDecision.Refuse(StatusCodes.Status401Unauthorized, ProblemCodes.MissingCredentials, "Send an admin key as 'Authorization: Bearer <key>'.");
        }

        if (_throttle.Check(snapshot, address, presented) is { } throttled)
        {
            _metrics.AuthenticationThrottled(throttled.Limit);
            guard.RetryAfterSeconds = Math.Max(1, ClockRateLimiter.Seconds(throttled.RetryAfter));
            return GuardDecision.Refuse(StatusCodes.Status429TooManyRequests, ProblemCodes.AuthenticationThrottled, $"Too many failed authentications from this address or for this key id; retry after {guard.RetryAfterSeconds} s.");
        }

        var admin = AdminKeys(snapshot);
        var isAdminKey = ApiKeyFormat.TryParse(presented, out Range prefix, out Range _) && presented[prefix].SequenceEqual(admin.Prefix);
        var result = (isAdminKey ? admin : snapshot.Keys).Validate(presented, _time.GetUtcNow());
        if (!result.Succeeded)
        {
            _throttle.Failed(snapshot, address, presented);
            _metrics.AuthenticationFailed(result.FailureCode!);
            guard.PresentedKeyId = result.KeyId;
            return GuardDecision.Refuse(StatusCodes.Status401Unauthorized, result.FailureCode!, result.FailureCode switch
            {
                ProblemCodes.ExpiredApiKey => "The key has expired.",
                ProblemCodes.RevokedApiKey => "The key has been revoked.",
                _ => "The key is not valid for the admin API.",
            });
        }

        guard.Client = result.Identity;
        if (!result.Identity!.Scopes.Contains(AdminOptions.Scope))
        {
            return GuardDecision.Refuse(StatusCodes.Status403Forbidden, ProblemCodes.ScopeMissing, $"This key may not use the admin API: it needs the '{AdminOptions.Scope}' scope, or use an admin key.");
        }

        return default;
    }

    private static ReadOnlySpan<char> Presented(HttpRequest request, string headerName)
    {
        var authorization = request.Headers.Authorization;
        if (authorization.Count == 1 && authorization[0] is { } value && value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return value.AsSpan(7).Trim();
        }

        return request.Headers.TryGetValue(headerName, out StringValues header) && header.Count == 1 ? (header[0] ?? string.Empty).AsSpan().Trim() : default;
    }

    private static ApiKeyStore Build(AdminOptions options)
    {
        var keys = new ApiKeyOptions
        {
            Prefix = options.KeyPrefix,
            Keys = [.. options.Keys.Select(k => new ApiKeyEntry
            {
                Id = k.Id,
                Hash = k.Hash,
                ClientId = "admin:" + (string.IsNullOrWhiteSpace(k.Name) ? k.Id : k.Name),
                Tenant = "admin",
                Scopes = [AdminOptions.Scope],
                ExpiresAt = k.ExpiresAt,
                Revoked = k.Revoked,
            })],
        };
        return ApiKeyStore.Build(keys);
    }
}
