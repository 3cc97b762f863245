using AiGuard.Configuration;
using AiGuard.Protocols;
using Microsoft.AspNetCore.Http;

namespace AiGuard.Pipeline;

/// <summary>The phases a stage takes part in; the pipeline calls only those.</summary>
[Flags]
public enum StagePhases
{
    None = 0,

    /// <summary>Sees the parsed <see cref="InferenceRequest"/> before it is forwarded.</summary>
    Request = 1,

    /// <summary>Sees the upstream's status and headers before they reach the client.</summary>
    ResponseHeaders = 2,

    /// <summary>Sees the parsed <see cref="InferenceResponse"/>: a whole JSON body, or each SSE event of a stream.</summary>
    ResponseBody = 4,
}

/// <summary>One AI-specific check in the walk of a request, with a request and a response phase.</summary>
/// <remarks>
/// A stage returns a <see cref="GuardDecision"/> and never writes to the response itself: the
/// pipeline turns each decision into the problem answer, the audit event, the metric and the
/// span (see <see cref="DecisionRecorder"/>). A stage that changes the request or response
/// changes the normalized view it was given and returns a <see cref="GuardAction.Modify"/>
/// decision; the protocol adapter writes the change back to the wire format.
/// The common path must be synchronous and allocation-free. A stage that throws is treated by
/// its route's fail mode: closed (refused, the default) or open (continued, audited).
/// A new guard is one class implementing this interface, its options, and one
/// <c>AddGuardStage&lt;T&gt;()</c> registration.
/// </remarks>
public interface IGuardStage
{
    /// <summary>A stable lower-case name used in audit events, metrics, spans and fail-mode settings.</summary>
    string Name { get; }

    /// <summary>Where the stage runs in the fixed order of stages (lower first; see <see cref="StageOrder"/>).</summary>
    int Order { get; }

    /// <summary>The phases the stage implements.</summary>
    StagePhases Phases { get; }

    /// <summary>Whether the stage runs on a route; asked once per route and configuration, never per request.</summary>
    bool AppliesTo(RoutePolicy route);

    /// <summary>The phases the stage takes part in on a route it applies to (a route pays only for those); asked once per route and configuration.</summary>
    StagePhases PhasesOn(RoutePolicy route) => Phases;

    /// <summary>The request phase: the parsed request and the authenticated client are on <paramref name="context"/>.</summary>
    ValueTask<GuardDecision> OnRequestAsync(GuardContext context) => default;

    /// <summary>The response-head phase: status and headers, before any body byte is sent.</summary>
    GuardDecision OnResponseHeaders(GuardContext context, HttpResponse response) => default;

    /// <summary>The response-body phase: a whole buffered JSON response, or one SSE event of a stream.</summary>
    GuardDecision OnResponse(GuardContext context, InferenceResponse response) => default;
}

/// <summary>The documented order of the built-in stages; a custom stage picks a number between them.</summary>
public static class StageOrder
{
    public const int Quarantine = 50;
    public const int ModelAccess = 100;
    public const int RateLimit = 150;

    /// <summary>Before the token budget, so a budget reserves the capped <c>max_tokens</c>, not the one sent.</summary>
    public const int ParameterPolicy = 155;
    public const int TokenBudget = 160;
    public const int PromptInjection = 300;
    public const int SensitiveData = 400;
    public const int Anomaly = 500;
    /// <summary>After sensitive-data redaction, so a leak is judged on what the client would receive.</summary>
    public const int PromptLeak = 700;
    public const int ResponseHeaders = 800;
    public const int AnomalyAnswer = 850;
    public const int OutputHardening = 900;
}
