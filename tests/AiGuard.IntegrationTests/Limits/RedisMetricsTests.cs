using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using AiGuard.Limits;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;

namespace AiGuard.IntegrationTests.Limits;

/// <summary>The shared store's instruments, against a real redis-server: every script run timed with its outcome, and the size of each token-budget run.</summary>
public class RedisMetricsTests
{
    private static readonly DateTimeOffset Noon = new(2026, 11, 26, 12, 0, 10, TimeSpan.Zero);
    private static readonly TokenBudget Budget = new("client", PartitionFlags.Client, PerMinute: 100, PerDay: 1000, DefaultMaxTokens: 10);
    private static readonly LimitKey Alice = new("alice", null, null, null);

    [SkippableFact]
    public async Task Each_script_run_is_timed_with_its_operation_and_outcome_and_budget_runs_report_their_size()
    {
        await using var server = await RedisServer.StartAsync();
        using var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        var meters = services.GetRequiredService<IMeterFactory>();
        var durations = new ConcurrentQueue<(double Seconds, string? Operation, string? Outcome)>();
        var batches = new ConcurrentQueue<long>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Name == RedisMetrics.MeterName && ReferenceEquals(instrument.Meter.Scope, meters))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, value, tags, _) =>
        {
            string? operation = null, outcome = null;
            foreach (var tag in tags)
            {
                operation = tag.Key == "aiguard.redis.operation" ? (string?)tag.Value : operation;
                outcome = tag.Key == "aiguard.outcome" ? (string?)tag.Value : outcome;
            }

            durations.Enqueue((value, operation, outcome));
        });
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => batches.Enqueue(value));
        listener.Start();

        using var connection = new RedisStore(new RedisOptions { Configuration = server.Configuration, KeyPrefix = $"metrics-{Guid.NewGuid():N}:", TimeoutMilliseconds = 200 }, NullLogger<RedisStore>.Instance, meters);
        var store = new RedisTokenBudgetStore(connection);
        var taken = await store.TryReserveAllAsync([new TokenRequest(Budget, Alice, 10)], Noon);
        await store.SettleAllAsync(taken.Reservations!, 4);

        Assert.Equal(2, durations.Count);
        Assert.All(durations, d =>
        {
            Assert.Equal(("token_budget", "ok"), (d.Operation, d.Outcome));
            Assert.InRange(d.Seconds, 1e-7, 5);
        });
        Assert.Equal([1L, 1L], batches.ToArray());

        // A Redis that is gone: the run is recorded as an error (and the caller's fail mode decides).
        await server.KillAsync();
        await Assert.ThrowsAnyAsync<Exception>(() => store.TryReserveAllAsync([new TokenRequest(Budget, Alice, 10)], Noon).AsTask());
        Assert.Equal(("token_budget", "error"), (durations.Last().Operation, durations.Last().Outcome));

        // The request limits' runs are timed under their own operation.
        await server.RestartAsync();
        using var limiter = new RedisRateLimiter(connection, "window", RateLimitDefinition.From(new RateLimitPolicyOptions { PermitLimit = 5, Window = TimeSpan.FromMinutes(1) }), Alice, TimeProvider.System);
        var deadline = DateTime.UtcNow.AddSeconds(20);
        while (!durations.Any(d => d is { Operation: "rate_limit", Outcome: "ok" }) && DateTime.UtcNow < deadline)
        {
            try
            {
                using var lease = await limiter.AcquireAsync(1);
            }
            catch (Exception)
            {
                await Task.Delay(100);
            }
        }

        Assert.Contains(durations, d => d is { Operation: "rate_limit", Outcome: "ok" });
    }
}
