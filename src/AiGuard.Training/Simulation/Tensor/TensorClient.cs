namespace AiGuard.Training.Simulation.Tensor;

/// <summary>
/// Base of the built-in clients: checks the arguments when <see cref="Run"/> is called and caps an
/// endless <see cref="Queries"/> stream at the budget, so an algorithm is written as it is published.
/// </summary>
public abstract class TensorClient : ITensorClient
{
    public abstract string Family { get; }

    public abstract bool IsAttack { get; }

    public IEnumerable<TensorQuery> Run(IVictimModel victim, Random random, int maxQueries)
    {
        ArgumentNullException.ThrowIfNull(victim);
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfNegative(maxQueries);

        return Capped(victim, random, maxQueries);
    }

    // Nothing runs (not even a draw from random) until the first request is asked for, and the
    // stream stops right after the last one allowed: no query beyond the budget is computed.
    private IEnumerable<TensorQuery> Capped(IVictimModel victim, Random random, int maxQueries)
    {
        if (maxQueries == 0)
        {
            yield break;
        }

        var count = 0;
        foreach (var query in Queries(victim, random))
        {
            yield return query;
            if (++count == maxQueries)
            {
                yield break;
            }
        }
    }

    /// <summary>The client's requests, lazily, for as long as it would go on (possibly forever).</summary>
    protected abstract IEnumerable<TensorQuery> Queries(IVictimModel victim, Random random);
}
