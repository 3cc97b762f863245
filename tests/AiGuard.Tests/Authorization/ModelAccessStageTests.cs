using AiGuard.Authorization;
using AiGuard.Identity;
using AiGuard.Pipeline;
using AiGuard.Protocols;

namespace AiGuard.Tests.Authorization;

public class ModelAccessStageTests
{
    private static GuardContext Context(ClientIdentity? client, string? model, string protocol = ProtocolNames.OpenAi)
    {
        var guard = TestGateway.Context(TestGateway.Snapshot(protocol));
        guard.Client = client;
        guard.Request = new InferenceRequest { Protocol = protocol, Operation = "x", Model = model };
        return guard;
    }

    [Fact]
    public void Model_access_is_checked_on_every_route()
    {
        var snapshot = TestGateway.Snapshot();

        Assert.Contains(snapshot.Routes["chat"].RequestStages, s => s is ModelAccessStage);
        Assert.Equal(StageNames.Authorize, new ModelAccessStage().Name);
    }

    [Fact]
    public async Task A_model_matching_one_of_the_keys_patterns_is_allowed()
    {
        var client = new ClientIdentity("alice", "k", "t", [], ["*"], ["llama-*", "gpt-*"]);

        var decision = await new ModelAccessStage().OnRequestAsync(Context(client, "gpt-4o"));

        Assert.True(decision.IsContinue);
    }

    [Fact]
    public async Task Without_an_authenticated_client_a_named_model_is_refused()
    {
        var decision = await new ModelAccessStage().OnRequestAsync(Context(client: null, "gpt-4o"));

        Assert.True(decision.IsRefusal);
        Assert.Equal(403, decision.Status);
        Assert.Equal(ProblemCodes.ModelNotAllowed, decision.Code);
    }

    [Fact]
    public async Task A_long_model_name_is_echoed_only_as_an_excerpt()
    {
        var client = new ClientIdentity("alice", "k", "t", [], ["*"], []);

        var decision = await new ModelAccessStage().OnRequestAsync(Context(client, new string('m', 10_000), ProtocolNames.TfServing));

        Assert.Equal($"This API key may not use the model '{new string('m', 64)}…(10000 characters)'.", decision.Detail);
        Assert.Null(decision.Field);
    }
}
