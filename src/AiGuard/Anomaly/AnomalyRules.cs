namespace AiGuard.Anomaly;

/// <summary>
/// A floor under the model's score from one rule that benign traffic does not meet: a client
/// whose recent inputs form a cloud of near-duplicates in mirrored pairs (x + u, x - u: the
/// antithetic samples of NES and the symmetric finite differences of ZOO and SPSA, which estimate
/// a gradient from the model's answers) scores 1 once it has sent 32 requests, whatever the model
/// says. The scorer applies it to every row it scores, so the gateway, the evaluation and the
/// threshold tuning all see it.
/// </summary>
/// <remarks>
/// Measured on simulated traffic (docs/anomaly-evaluation.md, "The mirrored-pairs rule"). Before
/// 32 requests the running shares are means of too few steps to trust: a few early mirror-like
/// steps of a benign client can read as 0.3 or more.
/// </remarks>
public static class AnomalyRules
{
    /// <summary>Requests before the rule applies, as log10 (the <c>queries_log</c> feature).</summary>
    public static readonly float MinQueriesLog = (float)Math.Log10(32);

    /// <summary>The share of mirrored pairs (<c>antithetic</c>) the rule needs.</summary>
    public const float MinMirrored = 0.3f;

    /// <summary>The share of near-duplicates (<c>near_duplicate</c>) the rule needs: the mirrored pairs must lie in one small cloud.</summary>
    public const float MinNearDuplicate = 0.5f;

    /// <summary>The floor for one feature row (schema <see cref="AnomalyFeatures.SchemaVersion"/>): 1 when the rule holds, else 0.</summary>
    public static float Floor(ReadOnlySpan<float> features) =>
        features.Length > AnomalyFeatures.Antithetic
        && features[AnomalyFeatures.Queries] >= MinQueriesLog
        && features[AnomalyFeatures.Antithetic] >= MinMirrored
        && features[AnomalyFeatures.NearDuplicate] >= MinNearDuplicate
            ? 1f
            : 0f;
}
