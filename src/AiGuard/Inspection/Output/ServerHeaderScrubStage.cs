using AiGuard.Configuration;
using AiGuard.Pipeline;
using Microsoft.AspNetCore.Http;

namespace AiGuard.Inspection.Output;

/// <summary>Removes upstream response headers that reveal the model server's software (<c>Server</c>, <c>X-Powered-By</c>...).</summary>
/// <remarks>
/// Which server and framework versions answer is reconnaissance for an attacker; the client
/// talks to AiGuard and needs none of it. Per policy: <c>Output:RemoveServerHeaders</c> (on by default) and <c>Output:RemoveHeaders</c>.
/// It is the same for every response of a route, so it is policy, not an audited decision.
/// </remarks>
public sealed class ServerHeaderScrubStage : IGuardStage
{
    public string Name => "response_headers";

    public int Order => StageOrder.ResponseHeaders;

    public StagePhases Phases => StagePhases.ResponseHeaders;

    public bool AppliesTo(RoutePolicy route) => route.RemovedResponseHeaders.Length > 0;

    public GuardDecision OnResponseHeaders(GuardContext context, HttpResponse response)
    {
        var headers = response.Headers;
        foreach (var name in context.Policy!.RemovedResponseHeaders)
        {
            headers.Remove(name);
        }

        return default;
    }
}
