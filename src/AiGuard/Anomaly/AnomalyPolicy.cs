using AiGuard.Inspection.Output;

namespace AiGuard.Anomaly;

/// <summary>One anomaly policy resolved for the routes that name it: actions ascending by threshold, hardening compiled.</summary>
public sealed class AnomalyPolicy
{
    /// <summary>What hardening a client gets when the action names none: two decimals, the top class only.</summary>
    public static readonly OutputHardening DefaultHardening = new(2, 1, LabelOnly: false, []);

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
