namespace AiGuard.Anomaly;

/// <summary>
/// A floor under the model's score from two rules that benign traffic does not meet. Once a
/// client has sent 32 requests it scores 1, whatever the model says, when
/// <list type="bullet">
/// <item>its recent inputs form a cloud of near-duplicates in mirrored pairs (x + u, x - u: the
/// antithetic samples of NES and the symmetric finite differences of ZOO and SPSA, which estimate
/// a gradient from the model's answers); or</item>
/// <item>it sweeps <c>logit_bias</c>: at least half its requests carry one, and at least half of
/// those bias another set of tokens than the request before (the logit-recovery attack walks the
/// vocabulary a few tokens at a time; an application that biases tokens keeps one fixed map).</item>
/// </list>
/// The scorer applies the floor to every row it scores, so the gateway, the evaluation and the
/// threshold tuning all see it.
/// </summary>
/// <remarks>
/// Measured on simulated traffic (docs/anomaly-evaluation.md, "The mirrored-pairs rule" and "The
/// logit-bias sweep rule"). Before 32 requests the running shares are means of too few steps to
/// trust: a few early mirror-like steps of a benign client can read as 0.3 or more.
/// </remarks>
public static class AnomalyRules
{
    /// <summary>Requests before a rule applies, as log10 (the <c>queries_log</c> feature).</summary>
    public static readonly float MinQueriesLog = (float)Math.Log10(32);

    /// <summary>The share of mirrored pairs (<c>antithetic</c>) the first rule needs.</summary>
    public const float MinMirrored = 0.3f;

    /// <summary>The share of near-duplicates (<c>near_duplicate</c>) the first rule needs: the mirrored pairs must lie in one small cloud.</summary>
    public const float MinNearDuplicate = 0.5f;

    /// <summary>The share of requests with a <c>logit_bias</c> (<c>logit_bias_share</c>) the second rule needs.</summary>
    public const float MinBiased = 0.5f;

    /// <summary>The share of biased requests whose token set changed (<c>bias_novelty</c>) the second rule needs.</summary>
    public const float MinBiasNovelty = 0.5f;

    /// <summary>The floor for one feature row (schema <see cref="AnomalyFeatures.SchemaVersion"/>): 1 when a rule holds, else 0.</summary>
    public static float Floor(ReadOnlySpan<float> features) =>
        features.Length >= AnomalyFeatures.Count
        && features[AnomalyFeatures.Queries] >= MinQueriesLog
        && (MirroredCloud(features) || BiasSweep(features))
            ? 1f
            : 0f;

    private static bool MirroredCloud(ReadOnlySpan<float> features) =>
        features[AnomalyFeatures.Antithetic] >= MinMirrored && features[AnomalyFeatures.NearDuplicate] >= MinNearDuplicate;

    private static bool BiasSweep(ReadOnlySpan<float> features) =>
        features[AnomalyFeatures.LogitBiasShare] >= MinBiased && features[AnomalyFeatures.BiasNovelty] >= MinBiasNovelty;
}
