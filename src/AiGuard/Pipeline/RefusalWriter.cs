using System.Diagnostics;
using System.Text.Encodings.Web;
using System.Text.Json;
using AiGuard.Audit;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Model;

namespace AiGuard.Pipeline;

/// <summary>The one place that turns a decision into an audit event and, for a refusal, a problem response.</summary>
public sealed class RefusalWriter
{
    public const string ProblemContentType = "application/problem+json";

    // A JSON body, never HTML: quotes and angle brackets in details stay readable.
    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private readonly AuditTrail _audit;
    private readonly TimeProvider _time;

    public RefusalWriter(AuditTrail audit, TimeProvider time)
    {
        _audit = audit;
        _time = time;
    }

    /// <summary>Records the refusal and writes the RFC 9457 body. A request is refused at most once.</summary>
    public async Task RefuseAsync(HttpContext context, GuardDecision decision)
    {
        if (decision.Outcome != GuardOutcome.Refuse)
        {
            throw new ArgumentException("Only a refusal can be written as a problem.", nameof(decision));
        }

        var guard = GuardContext.For(context);
        if (guard.Refused)
        {
            return;
        }

        guard.Refused = true;
        _audit.Record(CreateEvent(context, guard, decision, "refuse"));

        if (context.Response.HasStarted)
        {
            // Too late for a status code; the caller cuts the stream instead.
            return;
        }

        context.Response.Clear();
        context.Response.StatusCode = decision.Status;
        context.Response.ContentType = ProblemContentType;
        context.Response.Headers.CacheControl = "no-store";
        if (decision.Status == StatusCodes.Status401Unauthorized)
        {
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"aiguard\"";
        }

        await context.Response.Body.WriteAsync(SerializeProblem(context, guard.IncidentId, decision), context.RequestAborted);
    }

    /// <summary>Records a decision that changed the request or response (no response is written).</summary>
    public void RecordModification(HttpContext context, GuardDecision decision)
    {
        var guard = GuardContext.For(context);
        guard.Modifications.Add(decision);
        _audit.Record(CreateEvent(context, guard, decision, "modify"));
    }

    internal static byte[] SerializeProblem(HttpContext context, string incidentId, GuardDecision decision)
    {
        using var buffer = new MemoryStream(256);
        using (var json = new Utf8JsonWriter(buffer, WriterOptions))
        {
            json.WriteStartObject();
            json.WriteString("type", "urn:aiguard:problem:" + decision.Code);
            json.WriteString("title", ProblemTitles.For(decision.Code!));
            json.WriteNumber("status", decision.Status);
            if (decision.Detail is not null)
            {
                json.WriteString("detail", decision.Detail);
            }

            json.WriteString("instance", context.Request.Path.Value);
            json.WriteString("code", decision.Code);
            json.WriteString("incidentId", incidentId);
            if (decision.Field is not null)
            {
                json.WriteString("field", decision.Field);
            }

            json.WriteEndObject();
        }

        return buffer.ToArray();
    }

    private AuditEvent CreateEvent(HttpContext context, GuardContext guard, GuardDecision decision, string kind) => new()
    {
        IncidentId = guard.IncidentId,
        Timestamp = _time.GetUtcNow(),
        Decision = kind,
        Stage = decision.Stage.ToWireName(),
        Code = decision.Code ?? "unknown",
        Status = decision.Status,
        ClientId = guard.Client?.ClientId,
        KeyId = guard.Client?.KeyId ?? guard.PresentedKeyId,
        Tenant = guard.Client?.Tenant,
        RouteId = guard.RouteId ?? context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>()?.Config.RouteId,
        Model = guard.Request?.Model,
        Method = context.Request.Method,
        Path = context.Request.Path.Value ?? "/",
        Field = decision.Field,
        Detail = decision.Detail,
        RemoteAddress = context.Connection.RemoteIpAddress?.ToString(),
        TraceId = Activity.Current?.TraceId.ToString(),
    };
}
