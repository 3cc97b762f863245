using System.Diagnostics.Metrics;
using System.Threading.RateLimiting;
using AiGuard.Telemetry;

namespace AiGuard.Limits;

/// <summary>
/// The limits' instruments: refusals by limit or budget name, failed and throttled authentication,
/// the concurrency permits held right now and the tokens reserved by budgets.
/// </summary>
/// <remarks>Limit and budget names come from configuration (a bounded set); client ids and key ids never become attributes.</remarks>
public sealed class RateLimitMetrics
{
    public const string MeterName = "AiGuard.Limits";

    private readonly Counter<long> _refused;
    private readonly Counter<long> _authFailures;
    private readonly Counter<long> _authThrottled;
    private readonly Counter<long> _tokenRefused;
    private readonly UpDownCounter<long> _active;
    private readonly Counter<long> _reserved;

    public RateLimitMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _refused = meter.CreateCounter<long>("aiguard.rate_limit.refusals", "{request}", "Requests refused by a rate limit, by limit name.");
        _authFailures = meter.CreateCounter<long>("aiguard.authentication.failures", "{request}", "Requests whose credentials were missing or not valid, by reason.");
        _tokenRefused = meter.CreateCounter<long>("aiguard.token_budget.refusals", "{request}", "Requests refused by a token budget, by budget name.");
        _authThrottled = meter.CreateCounter<long>("aiguard.authentication.throttled", "{request}", "Requests refused because their address or key id failed authentication too often.");
        _active = meter.CreateUpDownCounter<long>("aiguard.rate_limit.active", "{request}", "Concurrency permits held right now (requests in flight under a concurrency limit), by limit name.");
        _reserved = meter.CreateCounter<long>("aiguard.token_budget.reserved", "{token}", "Tokens reserved before forwarding (prompt plus completion cap), by budget name; settled to the reported usage afterwards.");
    }

    public void Refused(string limit)
    {
        if (_refused.Enabled)
        {
            _refused.Add(1, new KeyValuePair<string, object?>(TelemetryAttributes.Limit, limit));
        }
    }

    public void TokenBudgetRefused(string budget)
    {
        if (_tokenRefused.Enabled)
        {
            _tokenRefused.Add(1, new KeyValuePair<string, object?>(TelemetryAttributes.Budget, budget));
        }
    }

    public void TokensReserved(string budget, long tokens)
    {
        if (_reserved.Enabled)
        {
            _reserved.Add(tokens, new KeyValuePair<string, object?>(TelemetryAttributes.Budget, budget));
        }
    }

    public void AuthenticationFailed(string code)
    {
        if (_authFailures.Enabled)
        {
            _authFailures.Add(1, new KeyValuePair<string, object?>(TelemetryAttributes.Code, code));
        }
    }

    public void AuthenticationThrottled(string limit)
    {
        if (_authThrottled.Enabled)
        {
            _authThrottled.Add(1, new KeyValuePair<string, object?>(TelemetryAttributes.Limit, limit));
        }
    }

    /// <summary>Counts a concurrency permit as held until it is released; the lease itself when nobody listens.</summary>
    public RateLimitLease Held(RateLimitLease lease, string limit)
    {
        if (!_active.Enabled)
        {
            return lease;
        }

        _active.Add(1, new KeyValuePair<string, object?>(TelemetryAttributes.Limit, limit));
        return new CountedLease(lease, limit, _active);
    }

    private sealed class CountedLease(RateLimitLease inner, string limit, UpDownCounter<long> active) : RateLimitLease
    {
        private int _released;

        public override bool IsAcquired => inner.IsAcquired;

        public override IEnumerable<string> MetadataNames => inner.MetadataNames;

        public override bool TryGetMetadata(string metadataName, out object? metadata) => inner.TryGetMetadata(metadataName, out metadata);

        protected override void Dispose(bool disposing)
        {
            if (disposing && Interlocked.Exchange(ref _released, 1) == 0)
            {
                active.Add(-1, new KeyValuePair<string, object?>(TelemetryAttributes.Limit, limit));
                inner.Dispose();
            }
        }
    }
}
