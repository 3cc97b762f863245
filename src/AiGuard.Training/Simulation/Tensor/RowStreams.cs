namespace AiGuard.Training.Simulation.Tensor;

/// <summary>Fills one input row.</summary>
internal delegate void RowFiller(Span<float> row);

/// <summary>Endless streams of independently drawn rows, the shape of extraction at volume and of most benign use.</summary>
internal static class RowStreams
{
    /// <summary>Requests of <paramref name="rowsPerRequest"/> rows, each row drawn by <paramref name="fill"/>.</summary>
    public static IEnumerable<TensorQuery> Endless(QuerySession session, Func<int> rowsPerRequest, RowFiller fill)
    {
        while (true)
        {
            yield return session.Send(Rows(session.InputSize, rowsPerRequest(), fill));
        }
    }

    public static float[] Rows(int inputSize, int count, RowFiller fill)
    {
        var rows = new float[count * inputSize];
        for (var r = 0; r < count; r++)
        {
            fill(rows.AsSpan(r * inputSize, inputSize));
        }

        return rows;
    }
}
