using AiGuard.Configuration;
using AiGuard.Identity;
using AiGuard.Protocols;
using Microsoft.AspNetCore.Http;

namespace AiGuard.Pipeline;

/// <summary>Per-request state the stages share: who, which route, the parsed request, what was decided.</summary>
public sealed class GuardContext
{
    private string? _incidentId;

    public ClientIdentity? Client { get; set; }

    /// <summary>Set by authentication when it failed, so the 401 names the reason.</summary>
    public string? AuthenticationFailureCode { get; set; }

    /// <summary>The id of the key presented when it was recognised but refused (expired, revoked).</summary>
    public string? PresentedKeyId { get; set; }

    public string? RouteId { get; set; }

    public RoutePolicy? RoutePolicy { get; set; }

    public InferenceRequest? Request { get; set; }

    /// <summary>Decisions that modified the request or response, in order.</summary>
    public List<GuardDecision> Modifications { get; } = [];

    /// <summary>True once a refusal has been written, so a request is never refused (or audited) twice.</summary>
    public bool Refused { get; set; }

    /// <summary>The incident id of this request, created on first use.</summary>
    public string IncidentId => _incidentId ??= Pipeline.IncidentId.New();

    /// <summary>The context of a request, created on first use.</summary>
    public static GuardContext For(HttpContext context)
    {
        var existing = context.Features.Get<GuardContext>();
        if (existing is not null)
        {
            return existing;
        }

        var created = new GuardContext();
        context.Features.Set(created);
        return created;
    }
}
