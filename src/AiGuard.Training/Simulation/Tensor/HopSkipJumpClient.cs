namespace AiGuard.Training.Simulation.Tensor;

/// <summary>
/// HopSkipJump (Chen, Jordan, Wainwright 2020), L2 version, as in the authors' code: from an
/// adversarial start, alternately binary-search the line to the original for the boundary,
/// estimate the boundary's normal from B0 * sqrt(t) random probes around the boundary point
/// (B0 = 100), and step along it with a geometrically shrinking step. Uses only top-1 labels.
/// </summary>
public sealed class HopSkipJumpClient(Action<EvasionProgress>? onProgress = null) : EvasionAttackClient(onProgress)
{
    private const int InitialEvaluations = 100;
    private const int MaxEvaluations = 10_000;
    private const double Gamma = 1.0;
    private const int MaxStepHalvings = 40;

    public override string Family => "hopskipjump";

    protected override IEnumerable<TensorQuery> Queries(IVictimModel victim, Random random)
    {
        var session = new QuerySession(victim, Pacing.ForAttackTool(random), random);
        var rowsPerRequest = RowBatching.ForAttackTool(random);
        var targeted = random.NextDouble() < 0.3;
        var iterations = random.Next(20, 61);
        for (var sample = 0; ; sample++)
        {
            var attack = new SampleAttack(this, session, random, sample, rowsPerRequest);
            foreach (var query in attack.Run(targeted, iterations))
            {
                yield return query;
            }
        }
    }

    private sealed class SampleAttack(HopSkipJumpClient client, QuerySession session, Random random, int sample, int rowsPerRequest)
    {
        private readonly DecisionAttackSample _state = new(session);
        private readonly int _dimension = session.InputSize;
        private readonly double _range = session.Victim.MaxValue - session.Victim.MinValue;
        private double _distanceAfterSearch;

        // The binary search's stopping gap, in the blend factor: gamma / d^(3/2).
        private double Theta => Gamma / (_dimension * Math.Sqrt(_dimension));

        public IEnumerable<TensorQuery> Run(bool targeted, int iterations)
        {
            foreach (var query in _state.Begin(random, targeted))
            {
                yield return query;
            }

            if (_state.Adversarial is null)
            {
                yield break;
            }

            foreach (var query in BinarySearch())
            {
                yield return query;
            }

            Report(0);
            for (var t = 1; t <= iterations; t++)
            {
                var delta = t == 1 ? 0.1 * _range : Math.Sqrt(_dimension) * Theta * _distanceAfterSearch;
                var evaluations = (int)Math.Min(InitialEvaluations * Math.Sqrt(t), MaxEvaluations);
                var gradient = new float[_dimension];
                foreach (var query in EstimateGradient(delta, evaluations, gradient))
                {
                    yield return query;
                }

                foreach (var query in GeometricStep(gradient, TensorMath.Distance(_state.Adversarial, _state.Original) / Math.Sqrt(t)))
                {
                    yield return query;
                }

                foreach (var query in BinarySearch())
                {
                    yield return query;
                }

                Report(t);
            }
        }

        // Monte Carlo estimate of the boundary's normal at the current point: probes on a sphere of
        // radius delta, each answer +1 (adversarial) or -1, minus their mean as a baseline.
        private IEnumerable<TensorQuery> EstimateGradient(double delta, int evaluations, float[] gradient)
        {
            var current = _state.Adversarial!;
            var probes = new float[evaluations * _dimension];
            var directions = new float[evaluations * _dimension];
            for (var e = 0; e < evaluations; e++)
            {
                var direction = directions.AsSpan(e * _dimension, _dimension);
                random.FillGaussian(direction);
                var norm = TensorMath.Norm(direction);
                var probe = probes.AsSpan(e * _dimension, _dimension);
                for (var i = 0; i < _dimension; i++)
                {
                    probe[i] = Math.Clamp((float)(current[i] + (delta * direction[i] / norm)), session.Victim.MinValue, session.Victim.MaxValue);

                    // The direction actually taken once clipped, as the authors' code recomputes it.
                    direction[i] = (float)((probe[i] - current[i]) / delta);
                }
            }

            var answers = new float[evaluations * session.ClassCount];
            foreach (var query in session.SendRows(probes, rowsPerRequest, answers))
            {
                yield return query;
            }

            var signs = new double[evaluations];
            for (var e = 0; e < evaluations; e++)
            {
                signs[e] = _state.IsAdversarial(answers.AsSpan(e * session.ClassCount, session.ClassCount)) ? 1 : -1;
            }

            var mean = signs.Average();
            var weights = signs.Select(s => Math.Abs(mean) == 1 ? mean : s - mean).ToArray();
            var sum = new double[_dimension];
            for (var e = 0; e < evaluations; e++)
            {
                for (var i = 0; i < _dimension; i++)
                {
                    sum[i] += weights[e] * directions[(e * _dimension) + i];
                }
            }

            var length = Math.Sqrt(sum.Sum(v => v * v));
            for (var i = 0; i < _dimension; i++)
            {
                gradient[i] = length > 0 ? (float)(sum[i] / length) : 0f;
            }
        }

        // Step from the boundary along the estimated normal; halve the step until still adversarial.
        private IEnumerable<TensorQuery> GeometricStep(float[] gradient, double epsilon)
        {
            var current = _state.Adversarial!;
            for (var halving = 0; halving < MaxStepHalvings; halving++, epsilon /= 2)
            {
                var candidate = new float[_dimension];
                for (var i = 0; i < _dimension; i++)
                {
                    candidate[i] = (float)(current[i] + (epsilon * gradient[i]));
                }

                TensorMath.Clip(candidate, session.Victim.MinValue, session.Victim.MaxValue);
                var query = session.Send(candidate);
                yield return query;
                if (_state.IsAdversarial(query.Probabilities))
                {
                    (_state.Adversarial, _state.AdversarialProbabilities) = (query.Rows, query.Probabilities);
                    yield break;
                }
            }
        }

        // Back to the boundary on the line between the original and the current point: queries on
        // one line with halving steps, until the gap in the blend factor is below theta.
        private IEnumerable<TensorQuery> BinarySearch()
        {
            var outer = _state.Adversarial!;
            var (low, high) = (0.0, 1.0);
            while ((high - low) / Theta > 1)
            {
                var mid = (high + low) / 2;
                var query = session.Send(_state.Blend(outer, mid));
                yield return query;
                if (_state.IsAdversarial(query.Probabilities))
                {
                    high = mid;
                    (_state.Adversarial, _state.AdversarialProbabilities) = (query.Rows, query.Probabilities);
                }
                else
                {
                    low = mid;
                }
            }

            _distanceAfterSearch = TensorMath.Distance(_state.Adversarial!, _state.Original);
        }

        private void Report(int step) =>
            client.Report(sample, step, _state.Original, _state.OriginalClass, _state.Adversarial!, _state.AdversarialProbabilities);
    }
}
