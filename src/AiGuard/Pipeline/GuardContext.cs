using System.Threading.RateLimiting;
using AiGuard.Configuration;
using AiGuard.Identity;
using AiGuard.Inspection.Output;
using AiGuard.Limits;
using AiGuard.Protocols;
using Microsoft.AspNetCore.Http;

namespace AiGuard.Pipeline;

/// <summary>What the stages of one request share: its configuration, the client, the route, the parsed request.</summary>
/// <remarks>
/// Created once per request by <see cref="GuardMiddleware"/> with the configuration snapshot that
/// was current when the request arrived; the request keeps that snapshot to the end, so a
/// reload never mixes two configurations within one request.
/// </remarks>
public sealed class GuardContext
{
    private string? _incidentId;
    private List<RateLimitLease>? _leases;
    private List<(IGuardStage Stage, object State)>? _streamState;

    internal GuardContext(HttpContext httpContext, GatewaySnapshot snapshot)
    {
        HttpContext = httpContext;
        Snapshot = snapshot;
    }

    public HttpContext HttpContext { get; }

    /// <summary>The configuration this request runs under.</summary>
    public GatewaySnapshot Snapshot { get; }

    /// <summary>The AiGuard policy of the YARP route that matched; null for gateway endpoints.</summary>
    public RoutePolicy? Policy { get; internal set; }

    /// <summary>The authenticated client; null until authentication succeeded.</summary>
    public ClientIdentity? Client { get; internal set; }

    /// <summary>The id of a key that was recognised but refused (expired, revoked), for the audit event.</summary>
    public string? PresentedKeyId { get; internal set; }

    /// <summary>The operation the adapter recognised from method and path.</summary>
    public ProtocolOperation? Operation { get; internal set; }

    /// <summary>The parsed request; null until the parse step succeeded.</summary>
    public InferenceRequest? Request { get; internal set; }

    /// <summary>The model a request named although its body was refused: the audit event still says which model was asked for.</summary>
    public string? RefusedModel { get; internal set; }

    /// <summary>
    /// Output hardening decided for this request by a request-phase stage (for example the anomaly
    /// engine for a suspicious client). It wins over the route's policy and is audited when applied.
    /// </summary>
    public OutputHardening? Hardening { get; set; }

    /// <summary>The anomaly engine's evidence about the client when this request's decision is about it (audited with it).</summary>
    public Anomaly.AnomalyEvidence? AnomalyEvidence { get; set; }

    /// <summary>The anomaly engine's state of the client, so the response phase can add the answer to it.</summary>
    internal Anomaly.TrackedClient? AnomalyClient { get; set; }

    /// <summary>True once a refusal was recorded, so a request is refused and audited at most once.</summary>
    public bool Refused { get; internal set; }

    /// <summary>For a 429: the seconds the client should wait (<c>Retry-After</c>); 0 otherwise.</summary>
    public long RetryAfterSeconds { get; internal set; }

    /// <summary>What each rate limit of the route said of this request, for the RateLimit headers; null when none applies.</summary>
    public RateLimitState[]? RateLimits { get; private set; }

    /// <summary>The <c>RateLimit-Policy</c> value of the route's limits, built once per route and configuration.</summary>
    internal string? RateLimitPolicy { get; set; }

    internal RateLimitState[] UseRateLimits(int count) => RateLimits = new RateLimitState[count];

    /// <summary>Keeps a concurrency permit until the request ends, or until another limit refuses the request.</summary>
    internal void Hold(RateLimitLease lease) => (_leases ??= new List<RateLimitLease>(2)).Add(lease);

    /// <summary>Releases the concurrency permits the request holds: at its end, or when another limit refused it.</summary>
    internal void ReleaseLeases()
    {
        if (_leases is null)
        {
            return;
        }

        foreach (var lease in _leases)
        {
            lease.Dispose();
        }

        _leases.Clear();
    }

    /// <summary>Token budget reservations taken for this request, settled when it ends.</summary>
    internal List<TokenReservation>? TokenReservations { get; set; }

    /// <summary>The total tokens the upstream reported for this request (its usage), once seen.</summary>
    public long? ReportedTokens { get; set; }

    /// <summary>When the proxy pipeline began with this request (<see cref="System.Diagnostics.Stopwatch"/> ticks); 0 before.</summary>
    internal long Started { get; set; }

    /// <summary>When the first streamed event with generated text passed (<see cref="System.Diagnostics.Stopwatch"/> ticks); 0 until then.</summary>
    internal long FirstTokenAt { get; set; }

    /// <summary>The model the upstream's answer names, once an answer was parsed.</summary>
    internal string? ResponseModel { get; set; }

    /// <summary>The token usage the upstream reported, once seen.</summary>
    internal Protocols.TokenUsage? Usage { get; set; }

    /// <summary>The code of the request's refusal, once refused.</summary>
    internal string? RefusalCode { get; set; }

    /// <summary>The upstream's status code once an answer arrived; 0 when none did.</summary>
    public int UpstreamStatus { get; internal set; }

    /// <summary>
    /// The body to forward instead of the client's, when the gateway had to change the request
    /// (a stream asked for usage reports so a token budget can be settled); null to forward it as sent.
    /// </summary>
    internal byte[]? ReplacementBody { get; set; }

    /// <summary>The client's body as sent, kept only on routes whose stages may rewrite it (a generation-parameter policy).</summary>
    internal byte[]? OriginalBody { get; set; }

    /// <summary>Changes the request stages made to top-level members of the body; applied once, before forwarding.</summary>
    internal List<Inspection.Input.RequestEdit>? RequestEdits { get; private set; }

    internal void AddRequestEdits(IEnumerable<Inspection.Input.RequestEdit> edits) => (RequestEdits ??= []).AddRange(edits);

    /// <summary>Text fields (<c>messages[1].content</c>, <c>messages[0].content[2].text</c>) the request stages replaced.</summary>
    internal List<(string Field, string Text)>? TextEdits { get; private set; }

    internal void AddTextEdit(string field, string text) => (TextEdits ??= []).Add((field, text));

    /// <summary>True when the gateway asked the upstream for stream usage the client did not ask for: the usage event is hidden from the client.</summary>
    public bool HidesStreamUsage { get; internal set; }

    /// <summary>What must be finished when the request ends (token budgets settled).</summary>
    internal IRequestSettlement? Settlement { get; set; }

    /// <summary>What a stage keeps across the events of one streamed answer, created on first use.</summary>
    internal T StreamStateOf<T>(IGuardStage stage)
        where T : class, new()
    {
        _streamState ??= [];
        foreach (var (owner, state) in _streamState)
        {
            if (ReferenceEquals(owner, stage))
            {
                return (T)state;
            }
        }

        var created = new T();
        _streamState.Add((stage, created));
        return created;
    }

    /// <summary>The incident id of this request, created on first use.</summary>
    public string IncidentId => _incidentId ??= Pipeline.IncidentId.New();

    /// <summary>Whether an incident id was handed out (a decision was recorded).</summary>
    public bool HasIncident => _incidentId is not null;

    /// <summary>Whether an audit event was recorded under <see cref="IncidentId"/>.</summary>
    internal bool IncidentAudited { get; set; }

    /// <summary>Gives the request a fresh incident id for its next audited decision; returns the previous one.</summary>
    internal string NextIncident()
    {
        var previous = IncidentId;
        _incidentId = Pipeline.IncidentId.New();
        return previous;
    }

    /// <summary>The route id for audit events and metrics.</summary>
    public string? RouteId => Policy?.RouteId;

    /// <summary>The context of a request, or null outside the AiGuard pipeline.</summary>
    public static GuardContext? Get(HttpContext context) => context.Features.Get<GuardContext>();
}
