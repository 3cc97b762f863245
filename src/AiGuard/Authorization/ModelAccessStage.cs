using AiGuard.Configuration;
using AiGuard.Pipeline;
using AiGuard.Protocols;
using Microsoft.AspNetCore.Http;

namespace AiGuard.Authorization;

/// <summary>Checks the model a parsed request names (body or path) against the client's key.</summary>
/// <remarks>
/// The first request stage on every route: it runs after parsing, on the same bytes that are
/// forwarded, so a client cannot reach another model by editing the body.
/// </remarks>
public sealed class ModelAccessStage : IGuardStage
{
    public string Name => StageNames.Authorize;

    public int Order => StageOrder.ModelAccess;

    public StagePhases Phases => StagePhases.Request;

    public bool AppliesTo(RoutePolicy route) => true;

    public ValueTask<GuardDecision> OnRequestAsync(GuardContext context)
    {
        var model = context.Request?.Model;
        if (model is null || (context.Client is { } client && GlobPattern.MatchesAny(client.AllowedModels, model)))
        {
            return default;
        }

        return new(GuardDecision.Refuse(
            StatusCodes.Status403Forbidden,
            ProblemCodes.ModelNotAllowed,
            $"This API key may not use the model '{Excerpt.Scrubbed(model)}'.",
            context.Request!.Protocol == ProtocolNames.OpenAi ? "model" : null));
    }
}
