using AiGuard.Pipeline;
using Microsoft.AspNetCore.Http;

namespace AiGuard.Inspection.Input;

/// <summary>Runs the registered input guards in registration order; the first refusal stops the request.</summary>
public sealed class InputGuardStage
{
    private readonly IInputGuard[] _guards;
    private readonly RefusalWriter _refusals;

    public InputGuardStage(IEnumerable<IInputGuard> guards, RefusalWriter refusals)
    {
        _guards = guards.ToArray();
        _refusals = refusals;
    }

    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var request = GuardContext.For(context).Request;
        if (request is not null)
        {
            foreach (var guard in _guards)
            {
                var decision = await guard.InspectAsync(context, request, context.RequestAborted);
                switch (decision.Outcome)
                {
                    case GuardOutcome.Refuse:
                        await _refusals.RefuseAsync(context, decision);
                        return;
                    case GuardOutcome.Modify:
                        _refusals.RecordModification(context, decision);
                        break;
                }
            }
        }

        await next();
    }
}
