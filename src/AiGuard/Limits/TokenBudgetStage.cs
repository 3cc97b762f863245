using System.Runtime.CompilerServices;
using AiGuard.Configuration;
using AiGuard.Pipeline;
using AiGuard.Protocols;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace AiGuard.Limits;

/// <summary>
/// LLM token budgets: before forwarding, the prompt's tokens plus the completion cap are
/// reserved on every budget of the route; after the answer, the reservation is settled to the
/// usage the upstream reports (streams included), or given back when the upstream failed.
/// </summary>
/// <remarks>
/// Reserving first is what keeps concurrent requests from overshooting: a budget is never
/// exceeded by more than what requests already admitted end up using beyond their reservation,
/// and since a reservation covers the completion cap, an answer cannot use more than reserved.
/// </remarks>
public sealed partial class TokenBudgetStage : IGuardStage, IRequestSettlement
{
    private readonly ITokenBudgetStore _store;
    private readonly PromptTokenCounter _counter;
    private readonly TimeProvider _time;
    private readonly RateLimitMetrics _metrics;
    private readonly ILogger _logger;
    private readonly ConditionalWeakTable<RoutePolicy, TokenBudget[]> _budgets = [];

    public TokenBudgetStage(ITokenBudgetStore store, PromptTokenCounter counter, TimeProvider time, RateLimitMetrics metrics, ILogger<TokenBudgetStage>? logger = null)
    {
        _store = store;
        _counter = counter;
        _time = time;
        _metrics = metrics;
        _logger = logger ?? NullLogger<TokenBudgetStage>.Instance;
    }

    public string Name => StageNames.TokenBudget;

    public int Order => StageOrder.TokenBudget;

    public StagePhases Phases => StagePhases.Request | StagePhases.ResponseBody;

    public bool AppliesTo(RoutePolicy route) => route.TokenBudgets.Length > 0;

    public ValueTask<GuardDecision> OnRequestAsync(GuardContext context) => ReserveAsync(context);

    public GuardDecision OnResponse(GuardContext context, InferenceResponse response)
    {
        if (response.Usage is { } usage)
        {
            context.ReportedTokens = usage.TotalTokens;
            if (context.HidesStreamUsage && response.IsStreamChunk && response.Texts.Count == 0)
            {
                // The client did not ask for usage: the gateway's own request for it stays invisible.
                response.Suppress();
            }
        }

        return default;
    }

    /// <summary>
    /// Settles the request's reservations once it has ended, all in one step, without making the
    /// request wait for it: the store applies it before anything this replica asks of it later
    /// (with Redis, in the next script run), and a failure is logged.
    /// </summary>
    /// <remarks>
    /// A settlement only gives back what an answer did not use (or, rarely, charges what it used
    /// beyond its reservation), so applying it a round trip later never lets a budget admit more
    /// than it has; with Redis it takes one thread hand-off per request off the request path.
    /// </remarks>
    public ValueTask SettleAsync(GuardContext context)
    {
        var reservations = context.TokenReservations;
        if (reservations is null || reservations.Count == 0)
        {
            return default;
        }

        // A failed or refused upstream generated nothing: everything goes back. A success without
        // reported usage keeps its reservation (the safe side).
        long? actual = context.UpstreamStatus is >= 200 and < 300 ? context.ReportedTokens : 0;
        if (actual is { } used)
        {
            var settling = _store.SettleAllAsync(reservations, used);
            if (!settling.IsCompletedSuccessfully)
            {
                _ = ObserveAsync(settling, context.RouteId);
            }
        }

        reservations.Clear();
        return default;
    }

    private async Task ObserveAsync(ValueTask settling, string? route)
    {
        try
        {
            await settling;
        }
        catch (Exception ex)
        {
            LogSettleFailed(_logger, ex, route);
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Token budgets of a request on route {RouteId} could not be settled; its reservation stays taken until its windows end")]
    private static partial void LogSettleFailed(ILogger logger, Exception exception, string? routeId);

    private async ValueTask<GuardDecision> ReserveAsync(GuardContext context)
    {
        if (context.Request?.Generation is not { } generation)
        {
            // Not a completion (a model list, for example): nothing to count.
            return default;
        }

        var budgets = For(context);
        var prompt = _counter.Count(context.Request, context.Policy!.TokenEncoding, context.Client);
        var choices = Math.Max(1, generation.N ?? 1);
        var requests = new TokenRequest[budgets.Length];
        for (var i = 0; i < budgets.Length; i++)
        {
            var budget = budgets[i];
            var completion = (long)(generation.MaxCompletionTokens ?? generation.MaxTokens ?? budget.DefaultMaxTokens);
            var tokens = prompt + (completion * choices);
            var ceiling = Smallest(budget.PerMinute, budget.PerDay);
            if (tokens > ceiling)
            {
                _metrics.TokenBudgetRefused(budget.Name);
                return GuardDecision.Refuse(
                    StatusCodes.Status400BadRequest,
                    ProblemCodes.TokensExceedBudget,
                    $"This request may use up to {tokens} tokens ({prompt} in the prompt and {completion} per answer x {choices}), more than the token budget '{budget.Name}' ever allows ({ceiling}); lower max_tokens or shorten the prompt.",
                    generation.MaxCompletionTokens is not null ? "max_completion_tokens" : "max_tokens");
            }

            requests[i] = new TokenRequest(budget, LimitKey.For(budget.PartitionBy, context), tokens);
        }

        // Every budget at once, or none: one step for the store (one script run with Redis).
        var pending = _store.TryReserveAllAsync(requests, _time.GetUtcNow());
        var (reservations, full, retryAfter) = pending.IsCompletedSuccessfully ? pending.Result : await pending;
        if (reservations is null)
        {
            var budget = budgets[full];
            _metrics.TokenBudgetRefused(budget.Name);
            context.RetryAfterSeconds = Math.Max(1, ClockRateLimiter.Seconds(retryAfter));
            return GuardDecision.Refuse(
                StatusCodes.Status429TooManyRequests,
                ProblemCodes.TokenBudgetExhausted,
                $"The token budget '{budget.Name}' has no room for the {requests[full].Tokens} tokens this request may use; retry after {context.RetryAfterSeconds} s.");
        }

        foreach (var reservation in reservations)
        {
            _metrics.TokensReserved(reservation.Budget.Name, reservation.Tokens);
        }

        context.Settlement = this;
        (context.TokenReservations ??= new List<TokenReservation>(reservations.Length)).AddRange(reservations);
        return default;
    }

    private static long Smallest(long perMinute, long perDay) =>
        perMinute > 0 && perDay > 0 ? Math.Min(perMinute, perDay) : perMinute > 0 ? perMinute : perDay;

    private TokenBudget[] For(GuardContext context)
    {
        var route = context.Policy!;
        if (!_budgets.TryGetValue(route, out var budgets))
        {
            var options = context.Snapshot.Options.TokenBudgets.Policies;
            budgets = [.. route.TokenBudgets.Select(name => TokenBudget.From(name, options[name]))];
            _budgets.AddOrUpdate(route, budgets);
        }

        return budgets;
    }
}
