using System.Text.Json;

namespace AiGuard.Protocols.Json;

/// <summary>Reads the numbers of an upstream output (nested arrays) leniently, remembering where they sit.</summary>
/// <remarks>
/// Upstream answers are not the client's, so this reader does not refuse: an output that is not
/// purely numeric is simply not a numeric output (<see cref="Read"/> returns false) and is left as sent.
/// </remarks>
internal sealed class OutputReader
{
    private readonly List<double> _values = [];
    private readonly List<JsonSegment> _segments = [];
    private readonly List<long> _dims = [];
    private bool _numeric = true;

    public int Count => _values.Count;

    /// <summary>Reads one value (array or number) that the reader stands on; false when it holds anything but numbers.</summary>
    public bool Read(ref JsonBodyReader reader)
    {
        var start = reader.TokenStart;
        var first = _values.Count;
        Visit(ref reader, 0);
        _segments.Add(new JsonSegment(start, reader.BytesConsumed, first));
        return _numeric;
    }

    /// <summary>The output tensor, or null when a value was not numeric.</summary>
    public OutputTensor? Build(string name, string dataType, long[]? declaredShape)
    {
        if (!_numeric || _values.Count == 0)
        {
            return null;
        }

        var shape = declaredShape is not null && Product(declaredShape) == _values.Count ? declaredShape : [.. _dims];
        if (Product(shape) != _values.Count)
        {
            shape = [_values.Count];
        }

        return new OutputTensor(name, dataType, shape, [.. _values], [.. _segments]);
    }

    /// <summary>Marks rows read one by one (TF-Serving named predictions) as the first dimension.</summary>
    public void SetRows(int rows)
    {
        if (_dims.Count == 0)
        {
            _dims.Add(rows);
        }
        else
        {
            _dims.Insert(0, rows);
        }
    }

    private void Visit(ref JsonBodyReader reader, int depth)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.StartArray:
                var length = 0;
                reader.Next();
                while (reader.TokenType != JsonTokenType.EndArray)
                {
                    Visit(ref reader, depth + 1);
                    length++;
                    reader.Next();
                }

                while (_dims.Count <= depth)
                {
                    _dims.Add(-1);
                }

                if (_dims[depth] < 0)
                {
                    _dims[depth] = length;
                }

                break;
            case JsonTokenType.Number when reader.TryGetFiniteDouble(out var value):
                _values.Add(value);
                break;
            default:
                _numeric = false;
                reader.SkipValue();
                break;
        }
    }

    private static long Product(long[] shape)
    {
        long product = 1;
        foreach (var dim in shape)
        {
            product *= dim;
        }

        return product;
    }
}
