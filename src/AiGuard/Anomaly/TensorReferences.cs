using System.Collections.Concurrent;

namespace AiGuard.Anomaly;

/// <summary>
/// The engine's reference of legitimate inputs per model and input width: the operator's file
/// when <c>AiGuard:Anomaly:References</c> names one for the model, otherwise learnt from the
/// model's traffic (the first <see cref="AnomalyReferenceOptions.RequestsPerClient"/> requests
/// of each client, so no single client can make up most of it, and none used before
/// <see cref="AnomalyReferenceOptions.MinClients"/> clients contributed).
/// </summary>
/// <remarks>
/// At most <see cref="MaxLearners"/> model and width pairs are learnt. When the table is full, a
/// new pair takes the place of the learner that is not ready yet and has the fewest clients: a
/// flood of made-up models or shapes (one client each) churns among themselves and never
/// displaces a model that is in use (ready, or with more clients than the newcomers).
/// </remarks>
public sealed class TensorReferences
{
    /// <summary>Most model and width pairs learnt at once; a flood of made-up model names cannot grow memory past it.</summary>
    public const int MaxLearners = 256;

    private readonly IReadOnlyDictionary<string, TensorReference> _configured;
    private readonly ConcurrentDictionary<(string Model, int Width), ReferenceLearner> _learners = new();
    private readonly AnomalyReferenceOptions _options;

    public TensorReferences(IReadOnlyDictionary<string, TensorReference> configured, AnomalyReferenceOptions options)
    {
        _configured = configured;
        _options = options;
    }

    /// <summary>Models with an operator's reference.</summary>
    public IReadOnlyDictionary<string, TensorReference> Configured => _configured;

    /// <summary>The reference for <paramref name="model"/>'s inputs of <paramref name="width"/> values; null while none is known.</summary>
    public TensorReference? For(string? model, int width)
    {
        var name = model ?? string.Empty;
        if (_configured.TryGetValue(name, out var configured) && configured.Width == width)
        {
            return configured;
        }

        return _learners.TryGetValue((name, width), out var learner) ? learner.Current : null;
    }

    /// <summary>Offers a client's row to the learner of its model, if the client is still among its first requests.</summary>
    public void Learn(string? model, int width, ReadOnlySpan<double> row, long clientRequestsBefore)
    {
        var name = model ?? string.Empty;
        if (clientRequestsBefore >= _options.RequestsPerClient || !_options.Learn
            || (_configured.TryGetValue(name, out var configured) && configured.Width == width))
        {
            return;
        }

        if (!_learners.TryGetValue((name, width), out var learner))
        {
            if (_learners.Count >= MaxLearners && !EvictOne())
            {
                // A table of models in use takes no newcomer.
                return;
            }

            learner = _learners.GetOrAdd((name, width), key => new ReferenceLearner(key.Width, _options.MinClients, _options.MinRows));
        }

        if (clientRequestsBefore == 0)
        {
            learner.CountClient();
        }

        learner.Add(row);
    }

    /// <summary>Removes a not-ready learner of at most one client (a made-up shape), the one with the fewest; false when there is none.</summary>
    private bool EvictOne()
    {
        (string, int)? victim = null;
        var fewest = int.MaxValue;
        foreach (var (key, learner) in _learners)
        {
            if (learner.Current is null && learner.Clients < fewest)
            {
                victim = key;
                fewest = learner.Clients;
            }
        }

        return victim is { } chosen && fewest <= 1 && _learners.TryRemove(chosen, out _);
    }

    /// <summary>What is learnt so far, per model and width (for status and tests).</summary>
    public IEnumerable<(string Model, int Width, long Rows, bool Ready)> Learnt =>
        _learners.Select(p => (p.Key.Model, p.Key.Width, p.Value.Rows, p.Value.Current is not null));
}
