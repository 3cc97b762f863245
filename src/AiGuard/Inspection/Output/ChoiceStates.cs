namespace AiGuard.Inspection.Output;

/// <summary>What a response stage keeps per choice of one streamed answer (choices are few: a list, no dictionary).</summary>
internal sealed class ChoiceStates<T>
    where T : class
{
    private readonly List<(int Index, T State)> _choices = new(1);

    /// <summary>The states of the choices seen so far.</summary>
    public IEnumerable<T> All => _choices.Select(c => c.State);

    /// <summary>The state of a choice, created on its first event.</summary>
    public T For(int index, Func<T> create)
    {
        foreach (var (i, state) in _choices)
        {
            if (i == index)
            {
                return state;
            }
        }

        var created = create();
        _choices.Add((index, created));
        return created;
    }
}
