using System.Text.Json;

namespace AiGuard.Protocols.Json;

/// <summary>Reads the numbers of an upstream output (nested arrays) leniently, remembering where they sit.</summary>
/// <remarks>
/// Upstream answers are not the client's, so this reader does not refuse: an output that is not
/// purely numeric is simply not a numeric output (<see cref="Read"/> returns false) and is left as sent.
/// Buffers start small and grow; the tensor gets exact-size arrays.
/// </remarks>
internal sealed class OutputReader
{
    private double[] _values = new double[8];
    private int _count;
    private JsonSegment[] _segments = new JsonSegment[1];
    private int _segmentCount;
    private long[] _dims = [-1, -1, -1, -1];
    private int _rank;
    private bool _numeric = true;

    public int Count => _count;

    /// <summary>Reads one value (array or number) that the reader stands on; false when it holds anything but numbers.</summary>
    public bool Read(ref JsonBodyReader reader)
    {
        var start = reader.TokenStart;
        var first = _count;
        Visit(ref reader, 0);
        if (_segmentCount == _segments.Length)
        {
            Array.Resize(ref _segments, _segments.Length * 2);
        }

        _segments[_segmentCount++] = new JsonSegment(start, reader.BytesConsumed, first);
        return _numeric;
    }

    /// <summary>The output tensor, or null when a value was not numeric.</summary>
    public OutputTensor? Build(string name, string dataType, long[]? declaredShape)
    {
        if (!_numeric || _count == 0)
        {
            return null;
        }

        long[] shape;
        if (declaredShape is not null && Product(declaredShape) == _count)
        {
            shape = declaredShape;
        }
        else
        {
            shape = _dims.AsSpan(0, _rank).ToArray();
            if (Product(shape) != _count)
            {
                shape = [_count];
            }
        }

        return new OutputTensor(name, dataType, shape, _values.AsSpan(0, _count).ToArray(), _segments.AsSpan(0, _segmentCount).ToArray());
    }

    /// <summary>Marks rows read one by one (TF-Serving named predictions) as the first dimension.</summary>
    public void SetRows(int rows)
    {
        Dimension(_rank);
        Array.Copy(_dims, 0, _dims, 1, _rank);
        _dims[0] = rows;
        _rank++;
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

                Dimension(depth);
                if (_dims[depth] < 0)
                {
                    _dims[depth] = length;
                    _rank = Math.Max(_rank, depth + 1);
                }

                break;
            case JsonTokenType.Number when reader.TryGetFiniteDouble(out var value):
                if (_count == _values.Length)
                {
                    Array.Resize(ref _values, _values.Length * 2);
                }

                _values[_count++] = value;
                break;
            default:
                _numeric = false;
                reader.SkipValue();
                break;
        }
    }

    private void Dimension(int depth)
    {
        if (depth >= _dims.Length)
        {
            var larger = new long[Math.Max(depth + 1, _dims.Length * 2)];
            larger.AsSpan().Fill(-1);
            _dims.CopyTo(larger, 0);
            _dims = larger;
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
