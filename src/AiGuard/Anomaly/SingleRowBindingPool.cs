using Microsoft.ML.OnnxRuntime;

namespace AiGuard.Anomaly;

/// <summary>
/// A small lock-free pool of <see cref="SingleRowBinding"/>s so concurrent single-row calls
/// never share buffers. A pool rather than thread-local scratch: the scorer owns every binding
/// and frees them all on dispose, however thread-pool threads come and go.
/// </summary>
internal sealed class SingleRowBindingPool(InferenceSession session, int featureCount, string outputName, int scoreRank) : IDisposable
{
    // Enough for every core to hold one while as many again wait to return theirs.
    private readonly SingleRowBinding?[] _items = new SingleRowBinding?[Environment.ProcessorCount * 2];

    /// <summary>A pooled binding, or a new one when all are in use.</summary>
    public SingleRowBinding Rent()
    {
        for (var i = 0; i < _items.Length; i++)
        {
            var item = _items[i];
            if (item is not null && Interlocked.CompareExchange(ref _items[i], null, item) == item)
            {
                return item;
            }
        }

        return new SingleRowBinding(session, featureCount, outputName, scoreRank);
    }

    /// <summary>Keeps the binding for the next caller, or frees it when the pool is full.</summary>
    public void Return(SingleRowBinding binding)
    {
        for (var i = 0; i < _items.Length; i++)
        {
            if (Interlocked.CompareExchange(ref _items[i], binding, null) is null)
            {
                return;
            }
        }

        binding.Dispose();
    }

    /// <summary>Frees the pooled bindings; call only once no caller holds one.</summary>
    public void Dispose()
    {
        for (var i = 0; i < _items.Length; i++)
        {
            Interlocked.Exchange(ref _items[i], null)?.Dispose();
        }
    }
}
