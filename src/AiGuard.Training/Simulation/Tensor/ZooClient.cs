namespace AiGuard.Training.Simulation.Tensor;

/// <summary>
/// ZOO (Chen et al. 2017), ZOO-ADAM in input space, untargeted, as in the authors' l2_attack_black:
/// each iteration sends the current input and, for a batch of random coordinates i, the pair
/// x + h e_i, x - h e_i; the symmetric difference of the C&amp;W loss (the confidence margin on
/// log-probabilities, weighted by c, plus the squared L2 distance) drives a per-coordinate ADAM
/// step. An outer binary search tunes c. Scores are used, not just labels.
/// </summary>
public sealed class ZooClient(Action<EvasionProgress>? onProgress = null) : EvasionAttackClient(onProgress)
{
    private const double Beta1 = 0.9;
    private const double Beta2 = 0.999;
    private const double InitialConstant = 10;
    private static readonly int[] CoordinateBatches = [1, 8, 32, 128];

    public override string Family => "zoo";

    protected override IEnumerable<TensorQuery> Queries(IVictimModel victim, Random random)
    {
        var session = new QuerySession(victim, Pacing.ForAttackTool(random), random);
        var rowsPerRequest = RowBatching.ForAttackTool(random);
        var settings = new Settings(
            Coordinates: Math.Min(victim.InputSize, random.Pick(CoordinateBatches)),
            BinarySteps: random.Next(3, 10),
            Iterations: random.Next(100, 1001),

            // The authors' h = 1e-4 and learning rate 0.01 are for images scaled to [-0.5, 0.5].
            H: 1e-4 * (victim.MaxValue - victim.MinValue),
            LearningRate: 0.01 * (victim.MaxValue - victim.MinValue));
        for (var sample = 0; ; sample++)
        {
            foreach (var query in Attack(session, random, sample, rowsPerRequest, settings))
            {
                yield return query;
            }
        }
    }

    private IEnumerable<TensorQuery> Attack(QuerySession session, Random random, int sample, int rowsPerRequest, Settings settings)
    {
        var victim = session.Victim;
        var (min, max, dimension) = (victim.MinValue, victim.MaxValue, victim.InputSize);
        var original = new float[dimension];
        victim.SampleNatural(random, original);
        var query = session.SendRow(original);
        yield return query;
        var trueClass = TensorMath.ArgMax(query.Probabilities);

        var (lower, upper, constant) = (0.0, double.PositiveInfinity, InitialConstant);
        var (firstMoment, secondMoment, epochs) = (new double[dimension], new double[dimension], new int[dimension]);
        var modifier = new float[dimension];
        var rowCount = (2 * settings.Coordinates) + 1;
        var answers = new float[rowCount * victim.ClassCount];
        var step = 0;
        for (var binaryStep = 0; binaryStep < settings.BinarySteps; binaryStep++)
        {
            Array.Clear(modifier);
            Array.Clear(firstMoment);
            Array.Clear(secondMoment);
            Array.Fill(epochs, 1);
            var succeeded = false;
            for (var iteration = 0; iteration < settings.Iterations; iteration++)
            {
                // Row 0 is the current input; rows 2k+1 and 2k+2 move coordinate k up and down by h.
                var coordinates = random.SampleIndices(dimension, settings.Coordinates);
                var rows = new float[rowCount * dimension];
                for (var r = 0; r < rowCount; r++)
                {
                    var row = rows.AsSpan(r * dimension, dimension);
                    for (var i = 0; i < dimension; i++)
                    {
                        row[i] = original[i] + modifier[i];
                    }

                    if (r > 0)
                    {
                        row[coordinates[(r - 1) / 2]] += (float)(r % 2 == 1 ? settings.H : -settings.H);
                    }

                    TensorMath.Clip(row, min, max);
                }

                foreach (var sent in session.SendRows(rows, rowsPerRequest, answers))
                {
                    yield return sent;
                }

                var losses = new double[rowCount];
                for (var r = 0; r < rowCount; r++)
                {
                    var margin = TensorMath.Margin(answers.AsSpan(r * victim.ClassCount, victim.ClassCount), trueClass);
                    var distance = TensorMath.Distance(rows.AsSpan(r * dimension, dimension), original);
                    losses[r] = (constant * Math.Max(margin, 0)) + (distance * distance);
                }

                for (var k = 0; k < coordinates.Length; k++)
                {
                    var i = coordinates[k];
                    var gradient = (losses[(2 * k) + 1] - losses[(2 * k) + 2]) / (2 * settings.H);
                    firstMoment[i] = (Beta1 * firstMoment[i]) + ((1 - Beta1) * gradient);
                    secondMoment[i] = (Beta2 * secondMoment[i]) + ((1 - Beta2) * gradient * gradient);
                    var correction = Math.Sqrt(1 - Math.Pow(Beta2, epochs[i])) / (1 - Math.Pow(Beta1, epochs[i]));
                    var value = modifier[i] - (settings.LearningRate * correction * firstMoment[i] / (Math.Sqrt(secondMoment[i]) + 1e-8));

                    // Projected back so the input stays inside the value range.
                    modifier[i] = (float)Math.Clamp(value, min - original[i], max - original[i]);
                    epochs[i]++;
                }

                var current = rows.AsSpan(0, dimension).ToArray();
                var currentAnswer = answers.AsSpan(0, victim.ClassCount).ToArray();
                succeeded |= TensorMath.ArgMax(currentAnswer) != trueClass;
                Report(sample, ++step, original, trueClass, current, currentAnswer);
            }

            // Success: try a smaller c (closer inputs); failure: a larger one.
            if (succeeded)
            {
                upper = Math.Min(upper, constant);
                constant = (lower + upper) / 2;
            }
            else
            {
                lower = Math.Max(lower, constant);
                constant = double.IsPositiveInfinity(upper) ? constant * 10 : (lower + upper) / 2;
            }
        }
    }

    private sealed record Settings(int Coordinates, int BinarySteps, int Iterations, double H, double LearningRate);
}
