namespace AiGuard.Anomaly;

/// <summary>
/// A floor under the model's score from three rules that benign traffic does not meet. Once a
/// client has sent 32 requests it scores 1, whatever the model says, when
/// <list type="bullet">
/// <item>its recent inputs form a cloud of near-duplicates in mirrored pairs (x + u, x - u: the
/// antithetic samples of NES and the symmetric finite differences of ZOO and SPSA, which estimate
/// a gradient from the model's answers); or</item>
/// <item>it sweeps <c>logit_bias</c>: at least half its requests carry one, and at least half of
/// those bias another set of tokens than the request before (the logit-recovery attack walks the
/// vocabulary a few tokens at a time; an application that biases tokens keeps one fixed map); or</item>
/// <item>its tensor inputs lie, on average, far outside the model's legitimate inputs: a mean
/// squared z-score against the reference of at least 10 (<c>atypical</c> at least 1), as random
/// and uniform probes and out-of-domain extraction data do (Copycat), and they are mostly new
/// inputs, not one input resent (a monitoring probe whose one input happens to be an outlier);
/// natural inputs, even a drifting video stream, stay under 10.</item>
/// </list>
/// The scorer applies the floor to every row it scores, so the gateway, the evaluation and the
/// threshold tuning all see it.
/// </summary>
/// <remarks>
/// Measured on simulated traffic (docs/anomaly-evaluation.md, "The mirrored-pairs rule", "The
/// logit-bias sweep rule" and "The out-of-distribution rule"). Before 32 requests the running
/// shares are means of too few steps to trust: a few early mirror-like steps of a benign client
/// can read as 0.3 or more.
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

    /// <summary>The mean log10 of the mean squared z-score (<c>atypical</c>) the third rule needs: inputs ten variances out.</summary>
    public const float MinAtypical = 1f;

    /// <summary>The share of inputs identical to a recent one (<c>exact_repeat</c>) under which the third rule applies.</summary>
    public const float MaxExactRepeat = 0.5f;

    /// <summary>The floor for one feature row (schema <see cref="AnomalyFeatures.SchemaVersion"/>): 1 when a rule holds, else 0.</summary>
    public static float Floor(ReadOnlySpan<float> features) =>
        features.Length >= AnomalyFeatures.Count
        && features[AnomalyFeatures.Queries] >= MinQueriesLog
        && (MirroredCloud(features) || BiasSweep(features) || OutOfDistribution(features))
            ? 1f
            : 0f;

    private static bool MirroredCloud(ReadOnlySpan<float> features) =>
        features[AnomalyFeatures.Antithetic] >= MinMirrored && features[AnomalyFeatures.NearDuplicate] >= MinNearDuplicate;

    private static bool BiasSweep(ReadOnlySpan<float> features) =>
        features[AnomalyFeatures.LogitBiasShare] >= MinBiased && features[AnomalyFeatures.BiasNovelty] >= MinBiasNovelty;

    private static bool OutOfDistribution(ReadOnlySpan<float> features) =>
        features[AnomalyFeatures.IsText] == 0 && features[AnomalyFeatures.Atypical] >= MinAtypical
        && features[AnomalyFeatures.ExactRepeat] < MaxExactRepeat;
}
