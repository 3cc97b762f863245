using AiGuard.Configuration;
using AiGuard.Pipeline;

namespace AiGuard.Inspection.Input;

/// <summary>
/// The generation-parameter policy of OpenAI routes: lowers <c>max_tokens</c>, <c>n</c> and
/// <c>top_logprobs</c> to their caps, strips or refuses <c>logprobs</c>, <c>logit_bias</c> and
/// tools. A change is one audited <c>parameters_changed</c> event naming what changed (numbers
/// and member names only); the forwarded body is rewritten, every other member kept as sent.
/// </summary>
public sealed class ParameterPolicyStage : IGuardStage
{
    public string Name => StageNames.Parameters;

    public int Order => StageOrder.ParameterPolicy;

    public StagePhases Phases => StagePhases.Request;

    public bool AppliesTo(RoutePolicy route) => route.Parameters is not null;

    public ValueTask<GuardDecision> OnRequestAsync(GuardContext context)
    {
        var request = context.Request!;
        var verdict = ParameterPolicy.Apply(context.Policy!.Parameters!, request.Generation);
        if (verdict.Refused)
        {
            return new(GuardDecision.Refuse(
                Microsoft.AspNetCore.Http.StatusCodes.Status400BadRequest,
                ProblemCodes.ParameterNotAllowed,
                $"'{verdict.RefusedParameter}' is not allowed on this route; send the request without it.",
                verdict.RefusedParameter));
        }

        if (!verdict.Changed)
        {
            return default;
        }

        // Later stages (the token budget) see what will be forwarded, not what was sent.
        context.Request = request.WithGeneration(ParameterPolicy.Applied(request.Generation!, verdict.Edits));
        context.AddRequestEdits(verdict.Edits);
        return new(GuardDecision.Modify(ProblemCodes.ParametersChanged, verdict.Changes));
    }
}
