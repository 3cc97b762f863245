namespace AiGuard.Cli.RedTeam;

/// <summary>What one probe found: the policy's answer held, something got through, the probe could not apply, or the gateway failed.</summary>
internal enum Verdict
{
    Stopped,
    GotThrough,
    NotApplicable,
    Error,
}

/// <summary>The verdict of one probe, why, and how many requests it took (counted by the run).</summary>
internal sealed record ProbeOutcome(Verdict Verdict, string Detail)
{
    public int Requests { get; init; }

    /// <summary>Not run at all: the run's request or time budget was spent before it (reported as not applicable).</summary>
    public bool NotRun { get; init; }

    /// <summary>
    /// Not applicable only because the gateway throttled or quarantined this client first: the
    /// check the probe aims at was never reached, so the run proves nothing about it.
    /// </summary>
    public bool Throttled { get; init; }

    public static ProbeOutcome Stopped(string detail) => new(Verdict.Stopped, detail);

    public static ProbeOutcome GotThrough(string detail) => new(Verdict.GotThrough, detail);

    public static ProbeOutcome NotApplicable(string detail) => new(Verdict.NotApplicable, detail);

    public static ProbeOutcome Error(string detail) => new(Verdict.Error, detail);
}

/// <summary>One attack of the suite: a category, a stable name, what a guarded gateway must do, and how to run it.</summary>
/// <param name="Expectation">What a gateway with the guard on must answer, in words (the report and the docs show it).</param>
/// <param name="Run">Sends the probe's requests through the bounded client and judges the answers.</param>
internal sealed record Probe(string Category, string Name, string Expectation, Func<RedTeamClient, CancellationToken, Task<ProbeOutcome>> Run);

/// <summary>The verdict of one probe, with the probe.</summary>
/// <param name="Accepted">The operator accepted this probe getting through (<c>--accept</c>, a known gap): reported, but not failing the run.</param>
internal sealed record ProbeResult(Probe Probe, ProbeOutcome Outcome, bool Accepted = false)
{
    public string Id => Probe.Category + "/" + Probe.Name;

    /// <summary>Got through, and not accepted by the operator.</summary>
    public bool Fails => Outcome.Verdict == Verdict.GotThrough && !Accepted;
}
