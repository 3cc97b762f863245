using AiGuard.Configuration;
using AiGuard.Pipeline;
using AiGuard.Protocols;

namespace AiGuard.Anomaly;

/// <summary>The anomaly engine in the request path: observes, scores and acts on the client of every request of a route with an anomaly policy.</summary>
public sealed class AnomalyStage : IGuardStage
{
    private readonly AnomalyEngine _engine;

    public AnomalyStage(AnomalyEngine engine) => _engine = engine;

    public string Name => StageNames.Anomaly;

    public int Order => StageOrder.Anomaly;

    public StagePhases Phases => StagePhases.Request;

    public bool AppliesTo(RoutePolicy route) => route.Anomaly is not null;

    public ValueTask<GuardDecision> OnRequestAsync(GuardContext context) => new(_engine.Assess(context, context.Policy!.Anomaly!));
}

/// <summary>The anomaly engine's response phase on tensor routes: what the model answered (labels, margins) joins the client's behaviour.</summary>
public sealed class AnomalyAnswerStage : IGuardStage
{
    private readonly AnomalyEngine _engine;

    public AnomalyAnswerStage(AnomalyEngine engine) => _engine = engine;

    public string Name => StageNames.AnomalyAnswer;

    /// <summary>Before output hardening: the engine sees what the model really answered.</summary>
    public int Order => StageOrder.AnomalyAnswer;

    public StagePhases Phases => StagePhases.ResponseBody;

    public bool AppliesTo(RoutePolicy route) =>
        route.Anomaly is not null && route.Protocol is ProtocolNames.OpenInferenceV2 or ProtocolNames.TfServing;

    public GuardDecision OnResponse(GuardContext context, InferenceResponse response)
    {
        _engine.ObserveAnswer(context, response);
        return default;
    }
}

/// <summary>Refuses quarantined clients (403) on every route, before anything else is checked.</summary>
public sealed class QuarantineStage : IGuardStage
{
    private readonly AnomalyEngine _engine;

    public QuarantineStage(AnomalyEngine engine) => _engine = engine;

    public string Name => StageNames.Quarantine;

    public int Order => StageOrder.Quarantine;

    public StagePhases Phases => StagePhases.Request;

    public bool AppliesTo(RoutePolicy route) => route.ChecksQuarantine;

    public ValueTask<GuardDecision> OnRequestAsync(GuardContext context)
    {
        if (_engine.Quarantine.IsEmpty || !_engine.Quarantine.IsQuarantined(AnomalyEngine.ClientKey(context), out var until))
        {
            return default;
        }

        context.RetryAfterSeconds = Math.Max(1, (long)Math.Ceiling((until - _engine.UtcNow).TotalSeconds));
        return new(GuardDecision.Refuse(
            Microsoft.AspNetCore.Http.StatusCodes.Status403Forbidden,
            ProblemCodes.ClientQuarantined,
            $"This client is quarantined until {until.UtcDateTime.ToString("u", System.Globalization.CultureInfo.InvariantCulture)}."));
    }
}
