using AiGuard.Configuration;
using AiGuard.Inspection.Output;
using AiGuard.Pipeline;
using AiGuard.Protocols;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Transforms;
using Yarp.ReverseProxy.Transforms.Builder;

namespace AiGuard.Proxy;

/// <summary>
/// AiGuard's YARP transforms on every route: the client's credentials are stripped and the
/// cluster's added on the way up; on the way down the response-head phase runs and chooses how
/// the response-body stages see the answer.
/// </summary>
public sealed class GatewayTransformProvider : ITransformProvider
{
    private readonly GatewayConfiguration _configuration;
    private readonly DecisionRecorder _recorder;
    private readonly StageRunner _stages;

    public GatewayTransformProvider(GatewayConfiguration configuration, DecisionRecorder recorder, StageRunner stages)
    {
        _configuration = configuration;
        _recorder = recorder;
        _stages = stages;
    }

    public void ValidateRoute(TransformRouteValidationContext context)
    {
    }

    public void ValidateCluster(TransformClusterValidationContext context)
    {
    }

    public void Apply(TransformBuilderContext context)
    {
        var clusterId = context.Cluster?.ClusterId ?? context.Route.ClusterId;
        context.AddRequestTransform(transform =>
        {
            // The snapshot the request started under, so keys, routes and credentials always agree.
            var snapshot = GuardContext.Get(transform.HttpContext)?.Snapshot ?? _configuration.Current;
            var headers = transform.ProxyRequest.Headers;
            var incoming = transform.HttpContext.Request.Headers;
            // The client's key authenticates it to AiGuard only; it must never reach the model server.
            // Only what the client actually sent needs removing (a cheap check on the server's headers).
            foreach (var name in snapshot.ClientCredentialHeaders)
            {
                if (incoming.ContainsKey(name))
                {
                    headers.Remove(name);
                }
            }

            if (clusterId is not null && snapshot.UpstreamHeaders.TryGetValue(clusterId, out var upstream))
            {
                foreach (var (name, value) in upstream)
                {
                    headers.Remove(name);
                    headers.TryAddWithoutValidation(name, value);
                }
            }

            return ValueTask.CompletedTask;
        });
        context.AddResponseTransform(OnResponseAsync);
    }

    private static void WriteRateLimitHeaders(ResponseTransformContext transform, GuardContext? guard)
    {
        if (guard?.RateLimits is not null)
        {
            Limits.RateLimitHeaders.Write(transform.HttpContext.Response, guard);
        }
    }

    private async ValueTask OnResponseAsync(ResponseTransformContext transform)
    {
        var guard = GuardContext.Get(transform.HttpContext);
        if (guard is not null && transform.ProxyResponse is not null)
        {
            guard.UpstreamStatus = (int)transform.ProxyResponse.StatusCode;
        }

        if (guard?.Policy is not { HasResponseStages: true } policy || transform.ProxyResponse is null)
        {
            WriteRateLimitHeaders(transform, guard);
            return;
        }

        var response = transform.HttpContext.Response;
        foreach (var stage in policy.ResponseHeaderStages)
        {
            GuardDecision decision;
            using (_stages.Time(stage.Name))
            {
                try
                {
                    decision = stage.OnResponseHeaders(guard, response);
                }
                catch (Exception ex)
                {
                    decision = _stages.Failed(guard, stage.Name, ex);
                }
            }

            if (decision.IsRefusal)
            {
                transform.SuppressResponseBody = true;
                await _recorder.RefuseAsync(guard, stage.Name, decision);
                return;
            }

            if (decision.Action is GuardAction.Modify or GuardAction.Flag)
            {
                _recorder.RecordChange(guard, stage.Name, decision);
            }
        }

        // After the header stages: the scrub removes names Kestrel keeps in its dictionary of
        // unknown headers, which is only created (and searched) once a field such as these is set.
        WriteRateLimitHeaders(transform, guard);

        if (policy.ResponseBodyStages.Length == 0 || !guard.Operation!.HasInferenceResponse || response.StatusCode is < 200 or > 299)
        {
            return;
        }

        var contentType = response.ContentType;
        if (ContentTypes.IsJson(contentType))
        {
            await WholeBodyInspection.InspectAsync(transform, guard, _stages, _recorder);
        }
        else if (ContentTypes.IsEventStream(contentType))
        {
            // Events may change length; the stream goes out chunked. YARP copies into the filter.
            response.Headers.Remove(HeaderNames.ContentLength);
            response.ContentLength = null;
            response.Body = new EventStreamFilter(response.Body, guard, _stages, _recorder);
        }
    }
}
