using AiGuard.Pipeline;
using Microsoft.AspNetCore.Http;
using Yarp.ReverseProxy.Forwarder;

namespace AiGuard.Proxy;

/// <summary>Turns YARP forwarding failures into problem responses (502, 503, 504) with an audit event.</summary>
public sealed class ForwardErrorStage
{
    private readonly RefusalWriter _refusals;

    public ForwardErrorStage(RefusalWriter refusals)
    {
        _refusals = refusals;
    }

    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        await next();

        var error = context.Features.Get<IForwarderErrorFeature>();
        if (error is null || GuardContext.For(context).Refused)
        {
            return;
        }

        var decision = error.Error switch
        {
            // The client went away: there is nobody to answer and nothing to decide.
            ForwarderError.RequestCanceled or ForwarderError.RequestBodyClient or ForwarderError.ResponseBodyClient
                or ForwarderError.UpgradeRequestClient or ForwarderError.UpgradeResponseClient => null,
            ForwarderError.RequestTimedOut => GuardDecision.Refuse(
                PipelineStage.Forward, StatusCodes.Status504GatewayTimeout, ProblemCodes.UpstreamTimeout, "The model server did not answer in time."),
            ForwarderError.NoAvailableDestinations => GuardDecision.Refuse(
                PipelineStage.Forward, StatusCodes.Status503ServiceUnavailable, ProblemCodes.UpstreamUnavailable, "No healthy model server is available for this route."),
            _ => GuardDecision.Refuse(
                PipelineStage.Forward, StatusCodes.Status502BadGateway, ProblemCodes.UpstreamError, "The model server could not be reached or its answer was cut off."),
        };

        if (decision is not null)
        {
            await _refusals.RefuseAsync(context, decision);
        }
    }
}
