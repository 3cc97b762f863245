using System.Diagnostics.Metrics;

namespace AiGuard.Limits;

/// <summary>Counters of the limits: refusals by limit name, failed and throttled authentication.</summary>
public sealed class RateLimitMetrics
{
    public const string MeterName = "AiGuard.Limits";

    private readonly Counter<long> _refused;
    private readonly Counter<long> _authFailures;
    private readonly Counter<long> _authThrottled;
    private readonly Counter<long> _tokenRefused;

    public RateLimitMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _refused = meter.CreateCounter<long>("aiguard.rate_limit.refusals", "{request}", "Requests refused by a rate limit, by limit name.");
        _authFailures = meter.CreateCounter<long>("aiguard.authentication.failures", "{request}", "Requests whose credentials were missing or not valid, by reason.");
        _tokenRefused = meter.CreateCounter<long>("aiguard.token_budget.refusals", "{request}", "Requests refused by a token budget, by budget name.");
        _authThrottled = meter.CreateCounter<long>("aiguard.authentication.throttled", "{request}", "Requests refused because their address or key id failed authentication too often.");
    }

    public void Refused(string limit)
    {
        if (_refused.Enabled)
        {
            _refused.Add(1, new KeyValuePair<string, object?>("aiguard.limit", limit));
        }
    }

    public void TokenBudgetRefused(string budget)
    {
        if (_tokenRefused.Enabled)
        {
            _tokenRefused.Add(1, new KeyValuePair<string, object?>("aiguard.budget", budget));
        }
    }

    public void AuthenticationFailed(string code)
    {
        if (_authFailures.Enabled)
        {
            _authFailures.Add(1, new KeyValuePair<string, object?>("aiguard.code", code));
        }
    }

    public void AuthenticationThrottled(string limit)
    {
        if (_authThrottled.Enabled)
        {
            _authThrottled.Add(1, new KeyValuePair<string, object?>("aiguard.limit", limit));
        }
    }
}
