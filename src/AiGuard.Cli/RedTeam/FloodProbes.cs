using System.Net.Http.Headers;
using AiGuard.Identity;

namespace AiGuard.Cli.RedTeam;

/// <summary>
/// Bounded bursts: with the key (a request limit, when the route has one), without credentials,
/// and with a wrong key (the authentication throttle). Each stops at its first 429, which must
/// carry <c>Retry-After</c>. They run last: after the wrong-key burst the gateway throttles this
/// address for a while, the valid key included.
/// </summary>
internal static class FloodProbes
{
    public const string Category = "floods";

    private const int Concurrency = 8;

    private static readonly string[] KeyLimits = ["rate_limited", "token_budget_exhausted", "anomaly_throttled"];

    public static IEnumerable<Probe> All()
    {
        yield return new Probe(Category, "authenticated-burst", "429 rate_limited with Retry-After once a configured request limit is spent (not applicable when the route advertises no limit)",
            (client, cancellationToken) => BurstAsync(client, c => c.PostJson(c.Settings.ChatPath, c.Settings.ChatBody("Hello")), KeyLimits, advertised: true, cancellationToken));
        yield return new Probe(Category, "unauthenticated-burst", "429 auth_throttled with Retry-After within the burst",
            (client, cancellationToken) => BurstAsync(client, c => c.PostJson(c.Settings.ChatPath, c.Settings.ChatBody("Hello"), authenticated: false), ["auth_throttled"], advertised: false, cancellationToken));
        yield return new Probe(Category, "wrong-key-burst", "429 auth_throttled with Retry-After within the burst (key guessing slowed)", (client, cancellationToken) =>
        {
            var guess = ApiKeyFormat.Generate(ApiKeyFormat.TryParse(client.Key, out string prefix, out string _) ? prefix : ApiKeyFormat.DefaultPrefix).Key;
            return BurstAsync(client, c =>
            {
                var request = c.PostJson(c.Settings.ChatPath, c.Settings.ChatBody("Hello"), authenticated: false);
                request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", guess);
                return request;
            }, ["auth_throttled"], advertised: false, cancellationToken);
        });
    }

    private static async Task<ProbeOutcome> BurstAsync(RedTeamClient client, Func<RedTeamClient, HttpRequestMessage> build, string[] codes, bool advertised, CancellationToken cancellationToken)
    {
        var planned = client.Settings.FloodRequests;
        var sent = 0;
        var served = 0;
        var failures = 0;
        ProbeResponse? limited = null;
        ProbeResponse? other = null;
        string? policy = null;
        var gate = new Lock();

        async Task WorkerAsync()
        {
            while (true)
            {
                lock (gate)
                {
                    if (sent >= planned || limited is not null || other is not null || failures >= 3)
                    {
                        return;
                    }

                    sent++;
                }

                var response = await client.SendAsync(build(client), cancellationToken);
                lock (gate)
                {
                    policy ??= response.RateLimitPolicy;
                    if (response.IsFailure)
                    {
                        failures++;
                    }
                    else if (response.Status == 429 || (response.IsRefusal && codes.Contains(response.ProblemCode)))
                    {
                        limited ??= response;
                    }
                    else if (response.IsRefusal && (advertised || response.Status != 401))
                    {
                        other ??= response;
                    }
                    else
                    {
                        served++;
                    }
                }
            }
        }

        try
        {
            await Task.WhenAll(Enumerable.Range(0, Concurrency).Select(_ => Task.Run(WorkerAsync, cancellationToken)));
        }
        catch (BudgetSpentException) when (sent > 0)
        {
            // Judged on what was sent: the run's budget ends the burst.
        }

        return Verdict(client, limited, other, failures, sent, served, policy, advertised);
    }

    private static ProbeOutcome Verdict(RedTeamClient client, ProbeResponse? limited, ProbeResponse? other, int failures, int sent, int served, string? policy, bool advertised)
    {
        if (failures > 0)
        {
            return ProbeOutcome.Error($"{failures} of {sent} requests failed (5xx or no answer)");
        }

        if (limited is not null)
        {
            return limited.RetryAfter is { } after
                ? ProbeOutcome.Stopped($"{limited.Describe()} with Retry-After {after.TotalSeconds:0} s after {served} served")
                : ProbeOutcome.GotThrough($"{limited.Describe()} without Retry-After after {served} served");
        }

        if (other is not null)
        {
            var throttled = other.ProblemCode is { } code && Judge.ThrottleCodes.Contains(code);
            return ProbeOutcome.NotApplicable($"refused {other.Describe()}: the burst could not test a limit") with { Throttled = throttled };
        }

        if (!advertised)
        {
            return ProbeOutcome.GotThrough($"{sent} requests, none throttled");
        }

        return policy is null
            ? ProbeOutcome.NotApplicable($"{served} requests served; the route advertises no request limit (no RateLimit-Policy header)")
            : Quota(policy) is { } quota && quota < served
                ? ProbeOutcome.GotThrough($"{served} requests served although the route advertises {policy}")
                : ProbeOutcome.NotApplicable($"{served} requests served; the advertised limit ({policy}) is larger than the burst (--flood-requests {client.Settings.FloodRequests})");
    }

    /// <summary>
    /// The smallest quota (<c>q=</c>) of the time-window limits (those with <c>w=</c>) of a
    /// <c>RateLimit-Policy</c> header; a concurrency limit has no window and a burst need not exceed it.
    /// </summary>
    public static long? Quota(string policy)
    {
        long? smallest = null;
        foreach (var item in policy.Split(',', StringSplitOptions.TrimEntries))
        {
            var parameters = item.Split(';', StringSplitOptions.TrimEntries);
            var quota = parameters.FirstOrDefault(p => p.StartsWith("q=", StringComparison.Ordinal));
            if (quota is not null && parameters.Any(p => p.StartsWith("w=", StringComparison.Ordinal))
                && long.TryParse(quota.AsSpan(2), System.Globalization.CultureInfo.InvariantCulture, out var q))
            {
                smallest = smallest is null ? q : Math.Min(smallest.Value, q);
            }
        }

        return smallest;
    }
}
