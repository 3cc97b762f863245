namespace AiGuard.Inspection.Output;

/// <summary>How a probability vector is hardened before a client sees it; every part is optional.</summary>
/// <param name="Decimals">Round each value to this many decimals.</param>
/// <param name="TopK">Keep the k largest values of each row; the others become 0.</param>
/// <param name="LabelOnly">Replace each row by the one-hot vector of its largest value.</param>
/// <param name="Outputs">Output names to harden; empty for every floating-point output.</param>
public sealed record OutputHardening(int? Decimals, int? TopK, bool LabelOnly, IReadOnlyList<string> Outputs)
{
    /// <summary>The strongest hardening: the label only.</summary>
    public static OutputHardening Label { get; } = new(null, null, LabelOnly: true, []);

    /// <summary>Whether this hardening changes anything at all.</summary>
    public bool IsActive => Decimals is not null || TopK is not null || LabelOnly;

    /// <summary>A short description for audit events, for example <c>round(2), top-3</c>.</summary>
    public string Describe()
    {
        if (LabelOnly)
        {
            return "label-only";
        }

        var parts = new List<string>(2);
        if (TopK is { } k)
        {
            parts.Add($"top-{k}");
        }

        if (Decimals is { } d)
        {
            parts.Add($"round({d})");
        }

        return string.Join(", ", parts);
    }
}
