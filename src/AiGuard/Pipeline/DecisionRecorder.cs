using System.Buffers;
using System.Diagnostics;
using AiGuard.Audit;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace AiGuard.Pipeline;

/// <summary>
/// The one place that turns a decision into what the outside world sees: the problem answer,
/// exactly one audit event, one metric increment and one span event.
/// </summary>
/// <remarks>
/// Every refusal of the gateway goes through here, whoever decided it (authentication, parsing,
/// a guard stage, a forwarding failure, an unexpected error), so all refusals look alike, carry
/// an incident id that matches one audit event, and are counted.
/// </remarks>
public sealed class DecisionRecorder
{
    private readonly AuditTrail _audit;
    private readonly TimeProvider _time;
    private readonly PipelineMetrics _metrics;

    public DecisionRecorder(AuditTrail audit, TimeProvider time, PipelineMetrics metrics)
    {
        _audit = audit;
        _time = time;
        _metrics = metrics;
    }

    /// <summary>The decision path's instruments (stage timing, decisions, refusals).</summary>
    public PipelineMetrics Metrics => _metrics;

    /// <summary>
    /// Records a refusal and, if the response has not started, answers with the problem. A request
    /// is refused at most once; a second refusal is ignored. Returns false when the response had
    /// already started (the caller must cut the stream or abort).
    /// </summary>
    public async ValueTask<bool> RefuseAsync(GuardContext guard, string stage, GuardDecision decision)
    {
        if (!decision.IsRefusal)
        {
            throw new ArgumentException("Only a refusal can be written as a problem.", nameof(decision));
        }

        if (guard.Refused)
        {
            return false;
        }

        guard.Refused = true;
        guard.RefusalCode = decision.Code;
        Record(guard, stage, decision, "refuse");
        _metrics.Refusal(stage, decision.Code ?? "unknown", decision.Status);

        var response = guard.HttpContext.Response;
        if (response.HasStarted)
        {
            return false;
        }

        response.Clear();
        response.StatusCode = decision.Status;
        response.ContentType = ProblemWriter.ContentType;
        response.Headers.CacheControl = "no-store";
        response.Headers[ProblemWriter.IncidentHeader] = guard.IncidentId;
        if (decision.Status == StatusCodes.Status401Unauthorized)
        {
            response.Headers.WWWAuthenticate = "Bearer realm=\"aiguard\"";
        }

        if (guard.RetryAfterSeconds > 0)
        {
            response.Headers.RetryAfter = guard.RetryAfterSeconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }

        Limits.RateLimitHeaders.Write(response, guard);

        var body = new ArrayBufferWriter<byte>(512);
        ProblemWriter.Write(body, decision, guard.HttpContext.Request.Path.Value ?? "/", guard.IncidentId, ProblemWriter.WantsOpenAiError(guard));
        response.ContentLength = body.WrittenCount;
        await response.Body.WriteAsync(body.WrittenMemory, guard.HttpContext.RequestAborted);
        return true;
    }

    /// <summary>Records a change a stage made (audited unless it is a route-wide policy change).</summary>
    public void RecordChange(GuardContext guard, string stage, GuardDecision decision)
    {
        if (decision.Action is not (GuardAction.Modify or GuardAction.Flag))
        {
            throw new ArgumentException("Only a modification or a flag is recorded as a change.", nameof(decision));
        }

        Record(guard, stage, decision, decision.Action == GuardAction.Flag ? "flag" : "modify");
    }

    private void Record(GuardContext guard, string stage, in GuardDecision decision, string kind)
    {
        var code = decision.Code ?? "unknown";
        _metrics.Decision(stage, decision.Action, code);
        if (decision.Audited)
        {
            // One event per incident id: a second audited decision (a refusal after a parameter
            // change) gets an id of its own and names the one before it.
            var related = guard.IncidentAudited ? guard.NextIncident() : null;
            guard.IncidentAudited = true;
            _audit.Record(CreateEvent(guard, stage, decision, kind, related));
        }

        if (Activity.Current is { IsAllDataRequested: true } activity)
        {
            activity.AddEvent(new ActivityEvent("aiguard.decision", tags: new ActivityTagsCollection
            {
                ["aiguard.stage"] = stage,
                ["aiguard.action"] = kind,
                ["aiguard.code"] = code,
                ["aiguard.incident_id"] = decision.Audited ? guard.IncidentId : null,
            }));
            if (decision.IsRefusal)
            {
                activity.SetStatus(ActivityStatusCode.Error, code);
            }
        }

        if (decision.Audited && guard.HttpContext.Features.Get<IHttpActivityFeature>()?.Activity is { IsAllDataRequested: true } request)
        {
            // The request's own span carries the incident of its refusal (or its latest audited change) and the outcome.
            request.SetTag(Telemetry.TelemetryAttributes.IncidentId, guard.IncidentId);
            request.SetTag(Telemetry.TelemetryAttributes.Code, code);
            if (decision.IsRefusal)
            {
                request.SetTag(Telemetry.TelemetryAttributes.Stage, stage);
                request.SetStatus(ActivityStatusCode.Error, code);
            }
        }
    }

    private AuditEvent CreateEvent(GuardContext guard, string stage, in GuardDecision decision, string kind, string? related)
    {
        var http = guard.HttpContext;
        return new AuditEvent
        {
            IncidentId = guard.IncidentId,
            RelatedIncidentId = related,
            Timestamp = _time.GetUtcNow(),
            Decision = kind,
            Stage = stage,
            Code = decision.Code ?? "unknown",
            Status = decision.Status,
            ClientId = guard.Client?.ClientId,
            KeyId = guard.Client?.KeyId ?? guard.PresentedKeyId,
            Tenant = guard.Client?.Tenant,
            RouteId = guard.RouteId,
            Model = (guard.Request?.Model ?? guard.RefusedModel ?? guard.Operation?.ModelFromPath) is { } model ? Excerpt.Scrubbed(model, AuditEvent.MaxModelLength) : null,
            Method = Excerpt.Of(http.Request.Method, 16),
            Path = Excerpt.Scrubbed(http.Request.Path.Value ?? "/", AuditEvent.MaxPathLength),
            Field = decision.Field is { } field ? Excerpt.Scrubbed(field, AuditEvent.MaxFieldLength) : null,
            Detail = decision.Detail is { } detail ? Excerpt.Of(detail, AuditEvent.MaxDetailLength) : null,
            RemoteAddress = http.Connection.RemoteIpAddress?.ToString(),
            TraceId = Activity.Current?.TraceId.ToString(),
            AnomalyScore = guard.AnomalyEvidence?.Score,
            AnomalyModel = guard.AnomalyEvidence?.Model,
            AnomalyReasons = guard.AnomalyEvidence?.Reasons,
        };
    }
}
