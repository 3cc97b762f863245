namespace AiGuard.Inspection.Text;

/// <summary>
/// Lookups of one guard's text caches, over the whole process: every route's cache and every
/// cache a configuration reload replaced, so the counts only grow (what a metric counter needs).
/// </summary>
public sealed class TextCacheCounters
{
    private long _hits;
    private long _misses;

    private TextCacheCounters(string guard) => Guard = guard;

    /// <summary>The prompt-injection detector's verdicts.</summary>
    public static TextCacheCounters PromptInjection { get; } = new(Pipeline.StageNames.PromptInjection);

    /// <summary>The personal data and secrets the sensitive-data guard found.</summary>
    public static TextCacheCounters SensitiveData { get; } = new(Pipeline.StageNames.SensitiveData);

    /// <summary>The token counts of long prompt messages the token budgets reserve for.</summary>
    public static TextCacheCounters TokenCount { get; } = new(Pipeline.StageNames.TokenBudget);

    public static IReadOnlyList<TextCacheCounters> All { get; } = [PromptInjection, SensitiveData, TokenCount];

    /// <summary>The guard's stage name.</summary>
    public string Guard { get; }

    /// <summary>Lookups answered from a cache.</summary>
    public long Hits => Interlocked.Read(ref _hits);

    /// <summary>Lookups of cacheable texts that were not in the cache (inspected, then remembered).</summary>
    public long Misses => Interlocked.Read(ref _misses);

    internal void Hit() => Interlocked.Increment(ref _hits);

    internal void Miss() => Interlocked.Increment(ref _misses);
}
