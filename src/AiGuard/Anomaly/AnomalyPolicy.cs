using AiGuard.Inspection.Output;

namespace AiGuard.Anomaly;

/// <summary>One anomaly policy resolved for the routes that name it: actions ascending by threshold, hardening compiled.</summary>
public sealed class AnomalyPolicy
{
    /// <summary>What hardening a client gets when the action names none: two decimals, the top class only.</summary>
    public static readonly OutputHardening DefaultHardening = new(2, 1, LabelOnly: false, []);

    /// <summary>
    /// A client's actions follow the lower of its last two scores: a threshold must be reached on
    /// two scorings in a row, so one odd request of a benign client does not act, while an attack
    /// (whose score stays high) is acted on one scoring later. Training's evaluation counts the same way.
    /// </summary>
    public const int ConfirmingScores = 2;

    /// <summary>The confirmed score after a new model score: the lower of it and the one before.</summary>
    public static float Confirm(float previous, float latest) => Math.Min(previous, latest);

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
