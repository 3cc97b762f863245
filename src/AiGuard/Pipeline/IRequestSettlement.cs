namespace AiGuard.Pipeline;

/// <summary>Something a stage must finish when its request ends, whatever the outcome (token budgets settled).</summary>
/// <remarks>The pipeline calls it once, after the answer has been sent or the request refused; a failure is logged, not thrown.</remarks>
public interface IRequestSettlement
{
    ValueTask SettleAsync(GuardContext context);
}
