namespace AiGuard.Training.Simulation.Chat;

/// <summary>
/// When a simulated client sends: seeded inter-arrival times, starting at 0 s. Attack tools and
/// benign clients draw from overlapping rate ranges on purpose, so a detector cannot win on the
/// request rate alone.
/// </summary>
public sealed class Pacer
{
    private readonly Func<Random, double> _gap;
    private double _now;
    private bool _started;

    private Pacer(Func<Random, double> gap) => _gap = gap;

    /// <summary>The time of the next request.</summary>
    public double Next(Random random)
    {
        if (_started)
        {
            _now += _gap(random);
        }

        _started = true;
        return _now;
    }

    /// <summary>Adds a pause (think time, a back-off, reading a long answer) before the next request.</summary>
    public void Pause(double seconds)
    {
        if (_started)
        {
            _now += Math.Max(0, seconds);
        }
    }

    /// <summary>
    /// An attack tool: most run flat out at 1 to 20 requests a second (a script with a few workers),
    /// some are throttled to 0.1 to 1 a second to stay under the radar; now and then a pause for a
    /// rate limit, a crash or the next batch.
    /// </summary>
    public static Pacer AttackTool(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var rate = random.NextDouble() < 0.7 ? LogUniform(random, 1, 20) : LogUniform(random, 0.1, 1);
        var jitter = 0.2 + (random.NextDouble() * 0.6);
        return new Pacer(r =>
        {
            var gap = (1 / rate) * (1 + (jitter * ((2 * r.NextDouble()) - 1)));
            return r.NextDouble() < 0.01 ? gap + LogUniform(r, 5, 300) : gap;
        });
    }

    /// <summary>No gaps of its own: the client sets each one through <see cref="Pause"/> (think time, back-offs).</summary>
    public static Pacer Manual() => new(_ => 0);

    /// <summary>Independent arrivals at <paramref name="rate"/> requests a second (many unrelated users behind one key).</summary>
    public static Pacer Poisson(double rate) => new(r => Exponential(r, rate));

    /// <summary>A fixed period with a little scheduler jitter (cron, health checks).</summary>
    public static Pacer Periodic(double periodSeconds, double jitterSeconds) =>
        new(r => Math.Max(0, periodSeconds + (jitterSeconds * ((2 * r.NextDouble()) - 1))));

    /// <summary>
    /// Sessions: bursts of requests at a rate drawn in [<paramref name="minRate"/>, <paramref name="maxRate"/>]
    /// (log-uniform per burst), then idle for a minute to a few hours.
    /// </summary>
    public static Pacer Bursty(double minRate, double maxRate)
    {
        var left = -1;
        var rate = minRate;
        return new Pacer(r =>
        {
            var first = left < 0;
            if (first || left == 0)
            {
                // Bursts of 20 requests on average, a geometric-like spread.
                left = 1 + (int)Exponential(r, 1.0 / 20);
                rate = LogUniform(r, minRate, maxRate);
                if (!first)
                {
                    left--;
                    return LogUniform(r, 60, 3 * 3600);
                }
            }

            left--;
            return Exponential(r, rate);
        });
    }

    public static double LogUniform(Random random, double low, double high) =>
        low * Math.Exp(random.NextDouble() * Math.Log(high / low));

    private static double Exponential(Random random, double rate) => -Math.Log(1 - random.NextDouble()) / rate;
}
