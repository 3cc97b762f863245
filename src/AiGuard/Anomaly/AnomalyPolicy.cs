using AiGuard.Inspection.Output;

namespace AiGuard.Anomaly;

/// <summary>One anomaly policy resolved for the routes that name it: actions ascending by threshold, hardening compiled.</summary>
public sealed class AnomalyPolicy
{
    /// <summary>What hardening a client gets when the action names none: two decimals, the top class only.</summary>
    public static readonly OutputHardening DefaultHardening = new(2, 1, LabelOnly: false, []);

    /// <summary>
    /// A client's actions follow the lowest of its last four model scores: a threshold must be
    /// reached on four scorings in a row, so a few odd requests of a benign client do not act,
    /// while an attack (whose score stays high) is acted on three scorings later. Training's
    /// evaluation counts the same way (docs/anomaly-evaluation.md compares two and four). The
    /// default of <c>AiGuard:Anomaly:ConfirmingScores</c>.
    /// </summary>
    public const int ConfirmingScores = 4;

    public AnomalyPolicy(string name, AnomalyPolicyOptions options)
    {
        Name = name;
        HoldFor = options.HoldFor;
        Actions = [.. options.Actions
            .OrderBy(a => a.Threshold)
            .ThenBy(a => a.Action)
            .Select(a => new Step(a.Threshold, a.Action, Harden(a), Math.Max(1, a.PerMinute), a.Duration))];
        Hardens = Actions.Any(a => a.Action == AnomalyAction.Harden);
        Quarantines = Actions.Any(a => a.Action == AnomalyAction.Quarantine);
    }

    public string Name { get; }

    public TimeSpan HoldFor { get; }

    /// <summary>Ascending by threshold.</summary>
    public Step[] Actions { get; }

    public bool Hardens { get; }

    public bool Quarantines { get; }

    /// <summary>The index of the last action whose threshold <paramref name="score"/> reached; -1 for none.</summary>
    public int LevelOf(double score)
    {
        var level = -1;
        for (var i = 0; i < Actions.Length && score >= Actions[i].Threshold; i++)
        {
            level = i;
        }

        return level;
    }

    private static OutputHardening? Harden(AnomalyActionOptions action)
    {
        if (action.Action != AnomalyAction.Harden)
        {
            return null;
        }

        if (action.Hardening is not { } options)
        {
            return DefaultHardening;
        }

        var hardening = new OutputHardening(options.Decimals, options.TopK, options.LabelOnly, [.. options.Outputs]);
        return hardening.IsActive ? hardening : DefaultHardening;
    }

    /// <summary>One threshold and its action.</summary>
    public sealed record Step(double Threshold, AnomalyAction Action, OutputHardening? Hardening, int PerMinute, TimeSpan Duration);
}

/// <summary>
/// A client's latest model scores (the last <see cref="MaxConfirming"/>) and the confirmed score
/// they give: the lowest of the last n once there are n, 0 before.
/// </summary>
public struct RecentScores
{
    /// <summary>The most scores a confirmation can ask for (<c>AiGuard:Anomaly:ConfirmingScores</c>).</summary>
    public const int MaxConfirming = 8;

    private Window _scores;
    private int _count;
    private int _next;

    /// <summary>The model's latest score (0 before the first).</summary>
    public readonly float Latest => _count == 0 ? 0 : _scores[(_next + MaxConfirming - 1) % MaxConfirming];

    /// <summary>Adds a model score and returns the confirmed score: the lowest of the last <paramref name="confirming"/> scores.</summary>
    public float Add(float score, int confirming = AnomalyPolicy.ConfirmingScores)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(confirming, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(confirming, MaxConfirming);
        _scores[_next] = score;
        _next = (_next + 1) % MaxConfirming;
        _count = Math.Min(_count + 1, MaxConfirming);
        if (_count < confirming)
        {
            return 0;
        }

        var lowest = float.MaxValue;
        for (var i = 1; i <= confirming; i++)
        {
            lowest = Math.Min(lowest, _scores[(_next - i + MaxConfirming) % MaxConfirming]);
        }

        return lowest;
    }

    [System.Runtime.CompilerServices.InlineArray(MaxConfirming)]
    private struct Window
    {
        private float _first;
    }
}
