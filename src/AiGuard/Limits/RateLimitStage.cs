using System.Threading.RateLimiting;
using AiGuard.Configuration;
using AiGuard.Pipeline;
using Microsoft.AspNetCore.Http;

namespace AiGuard.Limits;

/// <summary>
/// The request limits of a route: every limit its policy lists is counted for this request
/// (a client's own and its tenant's, per route or model), and the first one exhausted refuses it
/// with 429, giving back what the others took.
/// </summary>
public sealed class RateLimitStage : IGuardStage
{
    private readonly RateLimitRegistry _registry;
    private readonly RateLimitMetrics _metrics;

    public RateLimitStage(RateLimitRegistry registry, RateLimitMetrics metrics)
    {
        _registry = registry;
        _metrics = metrics;
    }

    public string Name => StageNames.RateLimit;

    public int Order => StageOrder.RateLimit;

    public StagePhases Phases => StagePhases.Request;

    public bool AppliesTo(RoutePolicy route) => route.RateLimits.Length > 0;

    public ValueTask<GuardDecision> OnRequestAsync(GuardContext context) => CheckAsync(context);

    private async ValueTask<GuardDecision> CheckAsync(GuardContext context)
    {
        var limits = _registry.For(context.Snapshot, context.Policy!);
        var states = context.UseRateLimits(limits.Length);
        context.RateLimitPolicy = _registry.PolicyHeader(limits);
        for (var i = 0; i < limits.Length; i++)
        {
            var limit = limits[i];
            var key = limit.KeyFor(context);
            var pending = limit.AcquireAsync(key);
            var lease = pending.IsCompletedSuccessfully ? pending.Result : await pending;
            if (lease is LimitLease window)
            {
                states[i] = new RateLimitState(limit, window.Remaining, ClockRateLimiter.Seconds(window.ResetAfter)) { Taken = window };
            }
            else
            {
                states[i] = new RateLimitState(limit, !lease.IsAcquired ? 0 : lease is IReportsRemaining counted ? counted.Remaining : limit.Available(key), 0);
            }

            if (lease.IsAcquired)
            {
                if (lease is not LimitLease)
                {
                    // A concurrency permit is held until the answer has been sent.
                    context.Hold(_metrics.Held(lease, limit.Name));
                }

                continue;
            }

            // Give back what the limits before this one took: a refused request costs nothing.
            context.ReleaseLeases();
            for (var j = 0; j < i; j++)
            {
                states[j].Taken?.Return();
                states[j] = states[j] with { Remaining = states[j].Remaining + 1, Taken = null };
            }

            var retry = lease.TryGetMetadata(MetadataName.RetryAfter, out var after) ? after : TimeSpan.FromSeconds(1);
            context.RetryAfterSeconds = Math.Max(1, ClockRateLimiter.Seconds(retry));
            _metrics.Refused(limit.Name);
            lease.Dispose();
            return GuardDecision.Refuse(
                StatusCodes.Status429TooManyRequests,
                ProblemCodes.RateLimited,
                $"The rate limit '{limit.Name}' ({Describe(limit.Definition)}) is exhausted; retry after {context.RetryAfterSeconds} s.");
        }

        return default;
    }

    private static string Describe(RateLimitDefinition limit)
    {
        var per = string.Join(" and ", Enum.GetValues<PartitionFlags>().Where(f => f != PartitionFlags.None && limit.PartitionBy.HasFlag(f)).Select(f => f.ToString().ToLowerInvariant()));
        return limit.Kind switch
        {
            RateLimitKind.Concurrency => $"{limit.PermitLimit} requests at once per {per}",
            RateLimitKind.TokenBucket => $"bursts of {limit.PermitLimit}, {limit.TokensPerPeriod} more every {Duration(limit.ReplenishmentPeriod)} per {per}",
            _ => $"{limit.PermitLimit} requests per {Duration(limit.Window)} per {per}",
        };
    }

    private static string Duration(TimeSpan span) =>
        span.TotalDays >= 1 && span.TotalDays % 1 == 0 ? $"{span.TotalDays:0} d"
        : span.TotalHours >= 1 && span.TotalHours % 1 == 0 ? $"{span.TotalHours:0} h"
        : span.TotalMinutes >= 1 && span.TotalMinutes % 1 == 0 ? $"{span.TotalMinutes:0} min"
        : $"{span.TotalSeconds:0.###} s";
}

/// <summary>What one limit said of one request, for the RateLimit headers.</summary>
public readonly record struct RateLimitState(RateLimit Limit, long Remaining, long ResetSeconds)
{
    /// <summary>The window permit taken, to give back if a later limit refuses the request.</summary>
    internal LimitLease? Taken { get; init; }
}
