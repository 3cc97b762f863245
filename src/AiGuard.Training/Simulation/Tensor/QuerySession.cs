namespace AiGuard.Training.Simulation.Tensor;

/// <summary>
/// One client's connection to a victim: every request goes through here, is answered by the
/// victim and stamped with the client's clock. The only way clients see the victim's answers.
/// </summary>
internal sealed class QuerySession
{
    private readonly Pacing _pacing;
    private readonly Random _clock;

    /// <param name="random">Seeds the session's own clock, so that pacing and the client's algorithm draw from separate streams.</param>
    public QuerySession(IVictimModel victim, Pacing pacing, Random random)
    {
        Victim = victim;
        _pacing = pacing;
        _clock = new Random(random.Next());
    }

    public IVictimModel Victim { get; }

    public int InputSize => Victim.InputSize;

    public int ClassCount => Victim.ClassCount;

    /// <summary>Sends <paramref name="rows"/> (which the query then owns) at the client's pace.</summary>
    public TensorQuery Send(float[] rows) => Answer(_pacing.Next(_clock), rows);

    /// <summary>Sends a copy of one row at the client's pace.</summary>
    public TensorQuery SendRow(ReadOnlySpan<float> row) => Send(row.ToArray());

    /// <summary>Sends <paramref name="rows"/> exactly <paramref name="seconds"/> after the previous request.</summary>
    public TensorQuery SendAfter(double seconds, float[] rows) => Answer(_pacing.After(seconds), rows);

    public void Pause(double seconds) => _pacing.Pause(seconds);

    /// <summary>
    /// Sends row-major <paramref name="rows"/> in requests of at most <paramref name="rowsPerRequest"/> rows,
    /// writing each row's answer into <paramref name="answers"/> (rows x classes) before yielding its request.
    /// </summary>
    public IEnumerable<TensorQuery> SendRows(float[] rows, int rowsPerRequest, float[] answers)
    {
        var rowCount = rows.Length / InputSize;
        for (var start = 0; start < rowCount; start += rowsPerRequest)
        {
            var count = Math.Min(rowsPerRequest, rowCount - start);
            var query = Send(rows.AsSpan(start * InputSize, count * InputSize).ToArray());
            query.Probabilities.CopyTo(answers, start * ClassCount);
            yield return query;
        }
    }

    private TensorQuery Answer(double seconds, float[] rows)
    {
        var rowCount = rows.Length / InputSize;
        var probabilities = new float[rowCount * ClassCount];
        Victim.Predict(rows, probabilities);
        return new TensorQuery(seconds, rows, rowCount, probabilities);
    }
}
