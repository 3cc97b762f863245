namespace AiGuard.Training.Simulation.Tensor;

/// <summary>
/// Functionally equivalent extraction (Jagielski et al. 2020; Carlini, Jagielski, Mironov 2020 for
/// ReLU networks): sweeps random segments of the input space with evenly spaced queries, reads
/// the logits (log-probability differences) for where they stop being linear, and pins each bend
/// down with a binary search on the same line. Long runs of collinear queries.
/// </summary>
public sealed class LineSweepClient : TensorClient
{
    private const int MaxBendsPerLine = 20;
    private const int SearchSteps = 16;

    public override string Family => "line-sweep";

    public override bool IsAttack => true;

    protected override IEnumerable<TensorQuery> Queries(IVictimModel victim, Random random)
    {
        var session = new QuerySession(victim, Pacing.ForAttackTool(random), random);
        var rowsPerRequest = RowBatching.ForAttackTool(random);
        var points = random.Next(100, 1001);
        while (true)
        {
            var line = Line.Draw(victim, random);
            var rows = new float[points * victim.InputSize];
            for (var j = 0; j < points; j++)
            {
                line.At(line.Start + ((line.End - line.Start) * j / (points - 1)), rows.AsSpan(j * victim.InputSize, victim.InputSize));
            }

            var answers = new float[points * victim.ClassCount];
            foreach (var query in session.SendRows(rows, rowsPerRequest, answers))
            {
                yield return query;
            }

            var logits = Logits(answers, victim.ClassCount);
            var step = (line.End - line.Start) / (points - 1);
            var bends = 0;
            for (var j = 1; j < points - 1 && bends < MaxBendsPerLine; j++)
            {
                if (!Bends(logits[j - 1], logits[j], logits[j + 1]))
                {
                    continue;
                }

                bends++;
                foreach (var query in FindBend(session, line, line.Start + ((j - 1) * step), step, logits[j - 1], logits[j]))
                {
                    yield return query;
                }

                // The same bend shows in the next second difference too.
                j++;
            }
        }
    }

    // Binary search for the bend between t and t + 2 step: a midpoint still on the left piece
    // (the line through the two left points) means the bend lies to its right.
    private static IEnumerable<TensorQuery> FindBend(QuerySession session, Line line, double left, double step, double[] leftLogits, double[] nextLogits)
    {
        var (low, high) = (left + step, left + (2 * step));
        var row = new float[session.InputSize];
        for (var s = 0; s < SearchSteps; s++)
        {
            var mid = (low + high) / 2;
            line.At(mid, row);
            var query = session.SendRow(row);
            yield return query;
            var logits = Logits(query.Probabilities, session.ClassCount)[0];
            var onLeftPiece = true;
            for (var c = 0; c < logits.Length; c++)
            {
                var expected = leftLogits[c] + ((nextLogits[c] - leftLogits[c]) * (mid - left) / step);
                onLeftPiece &= Math.Abs(logits[c] - expected) <= Tolerance(leftLogits[c], nextLogits[c]);
            }

            (low, high) = onLeftPiece ? (mid, high) : (low, mid);
        }
    }

    // Logits up to a constant: log-probabilities centred on their mean.
    private static double[][] Logits(float[] answers, int classes)
    {
        var rows = new double[answers.Length / classes][];
        for (var r = 0; r < rows.Length; r++)
        {
            var logits = rows[r] = new double[classes];
            for (var c = 0; c < classes; c++)
            {
                logits[c] = TensorMath.Log(answers[(r * classes) + c]);
            }

            var mean = logits.Average();
            for (var c = 0; c < classes; c++)
            {
                logits[c] -= mean;
            }
        }

        return rows;
    }

    private static bool Bends(double[] before, double[] at, double[] after)
    {
        for (var c = 0; c < at.Length; c++)
        {
            if (Math.Abs(after[c] - (2 * at[c]) + before[c]) > Tolerance(before[c], at[c]))
            {
                return true;
            }
        }

        return false;
    }

    // FP32 answers carry about 1e-7 of relative noise; bends are far above it.
    private static double Tolerance(double a, double b) => 1e-4 + (1e-3 * Math.Abs(b - a));

    /// <summary>The segment from one random input to another (t from 0 to 1): inside the value box, which is convex.</summary>
    private sealed record Line(float[] From, float[] To, float Min, float Max)
    {
        public double Start => 0;

        public double End => 1;

        public static Line Draw(IVictimModel victim, Random random) =>
            new(Endpoint(victim, random), Endpoint(victim, random), victim.MinValue, victim.MaxValue);

        public void At(double t, Span<float> destination)
        {
            for (var i = 0; i < destination.Length; i++)
            {
                destination[i] = Math.Clamp((float)(From[i] + (t * (To[i] - From[i]))), Min, Max);
            }
        }

        // Natural inputs or uniform noise: both are seen in the published extraction attacks.
        private static float[] Endpoint(IVictimModel victim, Random random)
        {
            var point = new float[victim.InputSize];
            if (random.Next(2) == 0)
            {
                victim.SampleNatural(random, point);
            }
            else
            {
                random.FillUniform(point, victim.MinValue, victim.MaxValue);
            }

            return point;
        }
    }
}
