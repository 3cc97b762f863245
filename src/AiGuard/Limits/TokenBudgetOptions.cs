namespace AiGuard.Limits;

/// <summary>The <c>AiGuard:TokenBudgets</c> section: named LLM token budgets that policies attach.</summary>
public sealed class TokenBudgetsOptions
{
    /// <summary>Named budgets; a policy lists the ones that apply to its routes under <c>TokenBudgets</c>.</summary>
    public Dictionary<string, TokenBudgetOptions> Policies { get; set; } = new(StringComparer.Ordinal);
}

/// <summary>One named token budget: tokens per minute and per day, counted per client, tenant, route or model.</summary>
public sealed class TokenBudgetOptions
{
    /// <summary>What is counted separately; empty means per client.</summary>
    public List<LimitPartition> PartitionBy { get; set; } = [];

    /// <summary>Tokens per calendar minute (UTC); 0 for no per-minute budget.</summary>
    public long PerMinute { get; set; }

    /// <summary>Tokens per calendar day (UTC); 0 for no per-day budget.</summary>
    public long PerDay { get; set; }

    /// <summary>Completion tokens reserved for a request that sets neither <c>max_tokens</c> nor <c>max_completion_tokens</c>.</summary>
    public int DefaultMaxTokens { get; set; } = 4096;

    /// <summary>
    /// With Redis: each replica takes blocks of up to this many tokens from the budget (counted in
    /// Redis at once) and hands them out to its requests locally, so most requests need no round
    /// trip. 0 (the default) makes one script operation per reservation. Ignored in process.
    /// </summary>
    public long LeaseTokens { get; set; }
}
