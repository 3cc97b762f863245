using AiGuard.Pipeline;
using Microsoft.AspNetCore.Http;

namespace AiGuard.Authorization;

/// <summary>Checks the model a parsed request names (body or path) against the client's key.</summary>
/// <remarks>
/// This runs after parsing, on the same bytes that are forwarded, so a client cannot reach
/// another model by editing the body.
/// </remarks>
public sealed class ModelAccessStage
{
    private readonly RefusalWriter _refusals;

    public ModelAccessStage(RefusalWriter refusals)
    {
        _refusals = refusals;
    }

    public Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var guard = GuardContext.For(context);
        var model = guard.Request?.Model;
        if (model is not null && (guard.Client is null || !GlobPattern.MatchesAny(guard.Client.AllowedModels, model)))
        {
            return _refusals.RefuseAsync(context, GuardDecision.Refuse(
                PipelineStage.Authorize,
                StatusCodes.Status403Forbidden,
                ProblemCodes.ModelNotAllowed,
                $"This API key may not use the model '{model}'.",
                guard.Request!.Protocol == Protocols.ProtocolNames.OpenAi ? "model" : null));
        }

        return next();
    }
}
