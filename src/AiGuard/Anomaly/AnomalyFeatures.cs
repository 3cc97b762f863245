namespace AiGuard.Anomaly;

/// <summary>
/// The per-client feature vector the anomaly model scores, version <see cref="SchemaVersion"/>.
/// The same code (<see cref="ClientBehaviour"/>) computes it in the gateway and in training, so
/// a model and the gateway agree on every column by construction. docs/anomaly-engine.md
/// explains each feature and why it separates attacks from benign use.
/// </summary>
/// <remarks>
/// Every feature is scale-free: distances and steps are relative to the typical distance between
/// two of the route's legitimate inputs (<see cref="TensorReference"/>), step shapes to what a
/// dense random step of the same size gives,
/// shares are in [0, 1], counts and rates are logarithms. One model therefore serves victims of
/// any input size and value range. A change to any feature's meaning bumps the version.
/// </remarks>
public static class AnomalyFeatures
{
    public const string SchemaVersion = "4";

    // Shared.
    public const int Queries = 0;
    public const int GapLog = 1;
    public const int GapSpread = 2;
    public const int IsText = 3;

    // Tensor inputs: similarity to the client's recent queries.
    public const int ExactRepeat = 4;
    public const int NearDuplicate = 5;
    public const int NearestLog = 6;
    public const int NearestSpread = 7;
    public const int NearestIsPrevious = 8;

    // Tensor inputs: the step from the previous query.
    public const int StepLog = 9;
    public const int StepSpread = 10;
    public const int ChangedShare = 11;
    public const int StepPeakedness = 12;
    public const int UniformStep = 13;
    public const int Collinear = 14;
    public const int Antithetic = 15;

    // Tensor inputs: the inputs themselves and the answers.
    public const int Atypical = 16;
    public const int BatchLog = 17;
    public const int LowMargin = 18;
    public const int NearLabelFlip = 19;
    public const int ClassCoverage = 20;

    // Text (LLM) inputs.
    public const int TextRepeat = 21;
    public const int TextNear = 22;
    public const int Extension = 23;
    public const int SmallEdit = 24;
    public const int EditLog = 25;
    public const int LogprobShare = 26;
    public const int TopLogprobs = 27;
    public const int LogitBiasShare = 28;
    public const int BiasNovelty = 29;
    public const int BiasKeysLog = 30;
    public const int MaxTokensLog = 31;
    public const int SingleToken = 32;
    public const int PromptLog = 33;

    public const int Count = 34;

    /// <summary>Column names, in input order (the model's <c>aiguard.feature_names</c>).</summary>
    public static IReadOnlyList<string> Names { get; } =
    [
        "queries_log", "gap_log", "gap_spread", "is_text",
        "exact_repeat", "near_duplicate", "nearest_log", "nearest_spread", "nearest_is_previous",
        "step_log", "step_spread", "changed_share", "step_peakedness", "uniform_step", "collinear", "antithetic",
        "atypical", "batch_log", "low_margin", "near_label_flip", "class_coverage",
        "text_repeat", "text_near", "extension", "small_edit", "edit_log",
        "logprob_share", "top_logprobs", "logit_bias_share", "bias_novelty", "bias_keys_log",
        "max_tokens_log", "single_token", "prompt_log",
    ];

    /// <summary>One-line meaning of each feature, for reasons in audit events and the docs.</summary>
    public static IReadOnlyList<string> Meanings { get; } =
    [
        "log10 of the number of requests seen",
        "mean log10 of the seconds between requests",
        "spread (std) of log10 of the seconds between requests",
        "1 for text (LLM) traffic, 0 for tensors",
        "share of inputs identical to one of the recent ones",
        "share of inputs within 5% of the reference's typical distance of a recent one, identical ones excluded",
        "mean log10 of the distance to the nearest recent input, over the reference's typical distance between two inputs",
        "spread of log10 of that nearest distance",
        "share of inputs whose nearest recent input is the one just before",
        "mean log10 of the step from the previous input, over the reference's typical distance",
        "spread of log10 of that step",
        "ln(coordinates a step changes) / ln(coordinates): 0 for one coordinate, 1 for all",
        "Linf / L2 of a step above that of a dense random step of the same size (0 dense, 1 one coordinate)",
        "share of steps whose changed coordinates all move by the same amount",
        "share of steps on the line of the previous step (|cosine| above 0.95)",
        "share of inputs mirroring the previous pair around the same midpoint (x+u, x-u pairs)",
        "mean log10 of an input's mean squared z-score against the reference (0 typical, higher out of distribution)",
        "mean log10 of the rows per request",
        "share of answers whose top two classes are within 0.2",
        "share of near-duplicate inputs whose label differs from their neighbour's",
        "entropy of the answered labels over log of the classes seen (0 one class, 1 all evenly)",
        "share of prompts identical to a recent one",
        "share of prompts within a few SimHash bits of a recent one, identical ones excluded",
        "share of requests that extend the previous conversation (chat history resent)",
        "share of requests that change the previous prompt in one span of at most 32 characters",
        "mean log10(1 + characters changed from the previous prompt)",
        "share of requests asking for logprobs",
        "mean top_logprobs asked, over 20",
        "share of requests with a logit_bias",
        "share of logit_bias tokens never biased before by this client",
        "mean log10(1 + logit_bias entries)",
        "mean log10 of max_tokens asked",
        "share of requests asking for at most 2 tokens",
        "mean log10 of the prompt's characters",
    ];
}
