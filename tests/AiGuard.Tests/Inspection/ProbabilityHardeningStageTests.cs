using AiGuard.Inspection.Output;
using AiGuard.Pipeline;
using AiGuard.Protocols;
using AiGuard.Protocols.OpenInference;
using AiGuard.Tests.Protocols;

namespace AiGuard.Tests.Inspection;

public sealed class ProbabilityHardeningStageTests
{
    private const string Path = "/v2/models/iris/infer";
    private const string Answer = """{"model_name":"iris","outputs":[{"name":"probabilities","shape":[1,3],"datatype":"FP32","data":[0.123456,0.654321,0.222223]}]}""";

    private static (GuardContext Guard, InferenceResponse Response) Answered(Dictionary<string, string?> settings)
    {
        var guard = TestGateway.Context(TestGateway.Configuration(settings).Current, path: Path);
        return (guard, AdapterHarness.Response(new OpenInferenceAdapter(), "POST", Path, Answer));
    }

    [Fact]
    public void A_route_policy_rounds_the_answer_as_an_unaudited_change_with_one_reason_for_every_answer()
    {
        var settings = TestGateway.Settings(ProtocolNames.OpenInferenceV2);
        settings["AiGuard:Policies:p:Output:Hardening:Decimals"] = "2";
        var stage = new ProbabilityHardeningStage();

        var (guard, first) = Answered(settings);
        var decision = stage.OnResponse(guard, first);
        Assert.Equal(GuardAction.Modify, decision.Action);
        Assert.Equal(ProblemCodes.OutputHardened, decision.Code);
        Assert.Equal("Outputs hardened (round(2)).", decision.Detail);
        Assert.False(decision.Audited);
        Assert.Equal([0.12, 0.65, 0.22], first.Outputs[0].Values);

        // The reason is built once per hardening, not per answer.
        var second = AdapterHarness.Response(new OpenInferenceAdapter(), "POST", Path, Answer);
        Assert.Same(decision.Detail, stage.OnResponse(guard, second).Detail);
    }

    [Fact]
    public void A_client_hardened_by_the_anomaly_engine_gets_an_audited_change_naming_its_hardening()
    {
        var (guard, response) = Answered(TestGateway.Settings(ProtocolNames.OpenInferenceV2));
        guard.Hardening = new OutputHardening(Decimals: 1, TopK: 1, LabelOnly: false, []);

        var decision = new ProbabilityHardeningStage().OnResponse(guard, response);

        Assert.True(decision.Audited);
        Assert.Equal("Outputs hardened (top-1, round(1)).", decision.Detail);
        Assert.Equal([0.0, 0.7, 0.0], response.Outputs[0].Values);
    }

    [Fact]
    public void An_answer_the_hardening_does_not_change_is_no_decision()
    {
        var settings = TestGateway.Settings(ProtocolNames.OpenInferenceV2);
        settings["AiGuard:Policies:p:Output:Hardening:Decimals"] = "6";
        var (guard, response) = Answered(settings);

        Assert.Equal(default, new ProbabilityHardeningStage().OnResponse(guard, response));
    }
}
