using AiGuard.Configuration;

namespace AiGuard.Anomaly;

/// <summary>The anomaly engine's settings (section <c>AiGuard:Anomaly</c>).</summary>
public sealed class AnomalyOptions
{
    /// <summary>The ONNX model that scores clients; with no <c>Path</c> the shipped model is used when a route asks for the engine.</summary>
    public AnomalyModelOptions Model { get; set; } = new();

    /// <summary>Most clients tracked at once; the least recently seen are forgotten first. Default 100,000 (about 400 MB at the 4 KiB bound).</summary>
    public int MaxClients { get; set; } = 100_000;

    /// <summary>A client not seen for this long is forgotten. Default one hour.</summary>
    public TimeSpan IdleExpiry { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Requests a client sends before it is scored at all (its first requests say too little). Default 8.</summary>
    public int MinRequests { get; set; } = 8;

    /// <summary>A client is scored after every request until it has sent this many. Default 256.</summary>
    public int ScoreEveryRequestUntil { get; set; } = 256;

    /// <summary>Beyond <see cref="ScoreEveryRequestUntil"/>, a client is scored after every n-th request. Default 8.</summary>
    public int ScoreEvery { get; set; } = 8;

    /// <summary>
    /// Scores in a row that must reach an action's threshold before it applies (the lowest of the
    /// last n is the client's confirmed score), 1 to 8. Default 4: a few odd scores of a benign
    /// client do not act; an attack is acted on 3 scorings after its score first reaches the
    /// threshold. 1 acts on the first score; the shipped model's threshold was tuned with 4.
    /// </summary>
    public int ConfirmingScores { get; set; } = AnomalyPolicy.ConfirmingScores;

    /// <summary>
    /// A client is scored at most once in this time (default 1 ms): a client sending thousands of
    /// requests a second is scored a thousand times a second, not on every request.
    /// </summary>
    public TimeSpan MinScoreInterval { get; set; } = TimeSpan.FromMilliseconds(1);

    /// <summary>
    /// Score clients off the request path, many per model run (default true): a request that makes
    /// its client due hands the features over and goes on, and its next request acts on the score.
    /// False scores inline: the request that makes the client due waits for the model run (about
    /// 25 µs in a busy gateway) and is acted on itself.
    /// </summary>
    public bool BatchScoring { get; set; } = true;

    /// <summary>
    /// With <see cref="BatchScoring"/>: how long the scoring loop waits after the first client
    /// is handed over, so that others join its batch (default 10 ms, at most 1 s). Each wait is a
    /// timer and a thread woken in the gateway, so a longer one costs less CPU when few clients
    /// are due at a time; a client's score then acts up to this much later.
    /// </summary>
    public TimeSpan BatchLinger { get; set; } = AnomalyBatchScorer.DefaultLinger;

    /// <summary>Named anomaly policies; a guard policy names one in its <c>Anomaly</c> setting.</summary>
    public Dictionary<string, AnomalyPolicyOptions> Policies { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Reference files of legitimate inputs by model name (built with <c>aiguard anomaly reference</c>).
    /// A model without one gets a reference learnt from its traffic (<see cref="Learning"/>).
    /// </summary>
    public Dictionary<string, string> References { get; set; } = new(StringComparer.Ordinal);

    /// <summary>How references are learnt for models without a file.</summary>
    public AnomalyReferenceOptions Learning { get; set; } = new();
}

/// <summary>Learning a model's reference of legitimate inputs from its traffic (section <c>AiGuard:Anomaly:Learning</c>).</summary>
public sealed class AnomalyReferenceOptions
{
    /// <summary>Learn at all (default true); without learning, a model with no reference file gets no distance features.</summary>
    public bool Learn { get; set; } = true;

    /// <summary>Each client contributes the first row of at most this many of its first requests. Default 8.</summary>
    public int RequestsPerClient { get; set; } = 8;

    /// <summary>Clients that must have contributed before the reference is used. Default 8.</summary>
    public int MinClients { get; set; } = 8;

    /// <summary>Rows that must have been learnt before the reference is used. Default 64.</summary>
    public int MinRows { get; set; } = 64;
}

/// <summary>What the engine does about a client, by its score (section <c>AiGuard:Anomaly:Policies:&lt;name&gt;</c>).</summary>
public sealed class AnomalyPolicyOptions
{
    /// <summary>Actions by score threshold; a client gets every action whose threshold its score reached.</summary>
    public List<AnomalyActionOptions> Actions { get; set; } = [];

    /// <summary>How long a client keeps an action after its score last reached the threshold. Default 30 minutes.</summary>
    public TimeSpan HoldFor { get; set; } = TimeSpan.FromMinutes(30);
}

/// <summary>The actions the engine can take, from the quietest to the loudest.</summary>
public enum AnomalyAction
{
    /// <summary>Shadow mode: one audit event when the client reaches the threshold, nothing else.</summary>
    Observe,

    /// <summary>One audit event and a flagged metric; the client is served as before.</summary>
    Flag,

    /// <summary>The client's answers are hardened (rounded, top-k or label only) while it holds the action.</summary>
    Harden,

    /// <summary>The client gets at most <see cref="AnomalyActionOptions.PerMinute"/> requests a minute; the rest are refused with 429.</summary>
    Throttle,

    /// <summary>The client is refused with 403 on every route until the quarantine expires.</summary>
    Quarantine,
}

/// <summary>One threshold and the action taken at it.</summary>
public sealed class AnomalyActionOptions
{
    /// <summary>Score in (0, 1] at which the action starts.</summary>
    public double Threshold { get; set; }

    public AnomalyAction Action { get; set; } = AnomalyAction.Flag;

    /// <summary>For <see cref="AnomalyAction.Harden"/>: what the client's answers become. Default: two decimals and the top class only.</summary>
    public HardeningOptions? Hardening { get; set; }

    /// <summary>For <see cref="AnomalyAction.Throttle"/>: requests a minute the client keeps. Default 10.</summary>
    public int PerMinute { get; set; } = 10;

    /// <summary>For <see cref="AnomalyAction.Quarantine"/>: how long. Default 30 minutes.</summary>
    public TimeSpan Duration { get; set; } = TimeSpan.FromMinutes(30);
}
