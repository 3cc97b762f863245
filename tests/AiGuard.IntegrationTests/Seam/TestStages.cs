using AiGuard.Configuration;
using AiGuard.Inspection.Output;
using AiGuard.Pipeline;
using AiGuard.Protocols;
using Microsoft.AspNetCore.Http;

namespace AiGuard.IntegrationTests.Seam;

/// <summary>
/// A request-phase stage that does what the request's <c>x-test-stage</c> header asks: refuse,
/// modify, throw, finish asynchronously, or switch label-only hardening on for this client.
/// It is one class plus one registration, like any guard.
/// </summary>
public sealed class ScriptedRequestStage : IGuardStage
{
    public const string Header = "x-test-stage";

    public string Name => "test_request";

    public int Order => StageOrder.ParameterPolicy + 50;

    public StagePhases Phases => StagePhases.Request;

    public bool AppliesTo(RoutePolicy route) => true;

    public async ValueTask<GuardDecision> OnRequestAsync(GuardContext context)
    {
        switch (context.HttpContext.Request.Headers[Header].ToString())
        {
            case "refuse":
                return GuardDecision.Refuse(StatusCodes.Status403Forbidden, "test_refused", "The scripted stage refused.");
            case "modify":
                return GuardDecision.Modify("test_modified", "The scripted stage changed the request.", "messages[0].content");
            case "throw":
                throw new InvalidOperationException("scripted failure");
            case "async":
                await Task.Delay(10);
                return GuardDecision.Refuse(StatusCodes.Status409Conflict, "test_async_refused", "Refused after an await.");
            case "harden":
                context.Hardening = OutputHardening.Label;
                return default;
            default:
                return default;
        }
    }
}

/// <summary>
/// A response-body stage for OpenAI streams: counts the events it sees, redacts the word named
/// by <c>x-test-redact</c>, and refuses (cuts the stream) at the event number <c>x-test-cut-at</c>.
/// </summary>
public sealed class ScriptedStreamStage : IGuardStage
{
    public string Name => "test_stream";

    public int Order => StageOrder.OutputHardening + 50;

    public StagePhases Phases => StagePhases.ResponseBody;

    public bool AppliesTo(RoutePolicy route) => route.Protocol == ProtocolNames.OpenAi && route.PolicyName == "llm-stream";

    public GuardDecision OnResponse(GuardContext context, InferenceResponse response)
    {
        var http = context.HttpContext;
        var seen = (int)(http.Items["events"] ?? 0) + 1;
        http.Items["events"] = seen;
        if (int.TryParse(http.Request.Headers["x-test-cut-at"].ToString(), out var cutAt) && seen == cutAt)
        {
            return GuardDecision.Refuse(StatusCodes.Status451UnavailableForLegalReasons, "test_cut", "The scripted stage cut the stream.");
        }

        var word = http.Request.Headers["x-test-redact"].ToString();
        if (word.Length > 0)
        {
            foreach (var text in response.Texts)
            {
                text.Text = text.Text.Replace(word, "[REDACTED]", StringComparison.Ordinal);
            }
        }

        return response.IsModified ? GuardDecision.ModifyByPolicy("test_redacted", "Redacted.") : default;
    }
}
