namespace AiGuard.Training.Simulation.Tensor;

/// <summary>
/// When a simulated client sends: sessions of requests at a mean rate with log-normal jitter,
/// separated now and then by idle gaps. The first request is at 0 s.
/// </summary>
/// <remarks>
/// Attack tools and benign clients draw from overlapping ranges on purpose: a detector must
/// not be able to tell them apart by rate alone.
/// </remarks>
internal sealed class Pacing
{
    private readonly double _interval;
    private readonly double _jitter;
    private readonly double _gapChance;
    private readonly double _minGap;
    private readonly double _maxGap;
    private bool _started;

    /// <param name="rate">Requests per second within a session.</param>
    /// <param name="jitter">Standard deviation of the log of each interval (0: a metronome).</param>
    /// <param name="meanSessionLength">Requests between idle gaps, on average (infinity: no gaps).</param>
    public Pacing(double rate, double jitter, double meanSessionLength = double.PositiveInfinity, double minGapSeconds = 0, double maxGapSeconds = 0)
    {
        _interval = 1.0 / rate;
        _jitter = jitter;
        _gapChance = 1.0 / meanSessionLength;
        _minGap = minGapSeconds;
        _maxGap = maxGapSeconds;
    }

    public double Now { get; private set; }

    /// <summary>
    /// An attack tool: usually 2-50 requests/s, as fast as the tool and the network allow; one run
    /// in five throttled to 0.2-1 requests/s to stay under rate limits. Rare pauses (restarts, next batch).
    /// </summary>
    public static Pacing ForAttackTool(Random random)
    {
        var rate = random.NextDouble() < 0.2 ? random.NextLogUniform(0.2, 1) : random.NextLogUniform(2, 50);
        return new Pacing(rate, random.NextUniform(0.1, 0.6), random.NextLogUniform(300, 5000), 2, 300);
    }

    /// <summary>The time of the next request: one interval (and maybe an idle gap) after the last.</summary>
    public double Next(Random random)
    {
        if (Start())
        {
            return 0;
        }

        // Mean-preserving log-normal: the mean interval stays 1 / rate whatever the jitter.
        var interval = _interval * Math.Exp((_jitter * random.NextGaussian()) - (_jitter * _jitter / 2));
        if (_gapChance > 0 && random.NextDouble() < _gapChance)
        {
            interval += random.NextLogUniform(_minGap, _maxGap);
        }

        return Now += interval;
    }

    /// <summary>The time of a request sent <paramref name="seconds"/> after the last one (a retry, a paired call).</summary>
    public double After(double seconds) => Start() ? 0 : Now += seconds;

    /// <summary>Waits before the next request (between passes, between jobs); nothing before the first.</summary>
    public void Pause(double seconds)
    {
        if (_started)
        {
            Now += seconds;
        }
    }

    private bool Start()
    {
        if (_started)
        {
            return false;
        }

        _started = true;
        return true;
    }
}
