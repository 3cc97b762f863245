using System.Diagnostics.Metrics;

namespace AiGuard.Pipeline;

/// <summary>Owns the instruments of the decision path: one count per decision, by stage, action and code.</summary>
public sealed class PipelineMetrics
{
    public const string MeterName = "AiGuard.Pipeline";

    private readonly Counter<long> _decisions;
    private readonly Counter<long> _failOpen;

    public PipelineMetrics(IMeterFactory meterFactory)
    {
        var meter = meterFactory.Create(MeterName);
        _decisions = meter.CreateCounter<long>("aiguard.decisions", "{decision}", "Refusals and changes decided by AiGuard's stages.");
        _failOpen = meter.CreateCounter<long>("aiguard.stage.fail_open", "{failure}", "Stages that failed and were passed because their route fails open.");
    }

    public void Decision(string stage, GuardAction action, string code)
    {
        if (!_decisions.Enabled)
        {
            return;
        }

        _decisions.Add(1, new("aiguard.stage", stage), new("aiguard.action", action switch { GuardAction.Refuse => "refuse", GuardAction.Flag => "flag", _ => "modify" }), new("aiguard.code", code));
    }

    public void FailedOpen(string stage)
    {
        if (_failOpen.Enabled)
        {
            _failOpen.Add(1, new KeyValuePair<string, object?>("aiguard.stage", stage));
        }
    }
}
