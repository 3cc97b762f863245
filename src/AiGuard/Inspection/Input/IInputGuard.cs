using AiGuard.Pipeline;
using AiGuard.Protocols;
using Microsoft.AspNetCore.Http;

namespace AiGuard.Inspection.Input;

/// <summary>A check on the parsed request before it is forwarded (parameter policy, injection, PII, ranges...).</summary>
/// <remarks>Guards read <see cref="InferenceRequest"/>, never the raw body, and return a decision as data.</remarks>
public interface IInputGuard
{
    /// <summary>A stable name used in audit events and metrics.</summary>
    string Name { get; }

    ValueTask<GuardDecision> InspectAsync(HttpContext context, InferenceRequest request, CancellationToken cancellationToken);
}
