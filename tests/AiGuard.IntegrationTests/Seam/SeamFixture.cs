using AiGuard.Hosting;
using AiGuard.Identity;
using AiGuard.IntegrationTests.Gateway;
using AiGuard.Protocols;
using AiGuard.Protocols.Json;
using Microsoft.Extensions.DependencyInjection;

namespace AiGuard.IntegrationTests.Seam;

/// <summary>A gateway with scripted test stages in front of the demo model and a controllable streaming upstream.</summary>
public sealed class SeamFixture : IAsyncLifetime
{
    private DemoUpstream? _demo;

    public StreamingUpstream Streaming { get; } = new();

    public GatewayUnderTest Gateway { get; private set; } = null!;

    public GeneratedApiKey Key { get; } = ApiKeyFormat.Generate();

    public async Task InitializeAsync()
    {
        _demo = await DemoUpstream.StartAsync();
        await Streaming.StartAsync();
        var settings = GatewaySettings.ForDemo(_demo.Address).WithKey(Key);
        settings["AiGuard:Policies:llm:FailOpen:0"] = "test_request";
        settings["AiGuard:Policies:tensors:Output:Hardening:OnDemand"] = "true";
        settings["AiGuard:Policies:tf:Output:Hardening:TopK"] = "1";
        settings["AiGuard:Policies:tf:Output:Hardening:Decimals"] = "3";

        void Route(string id, string cluster, string prefix, string path, string policy)
        {
            settings[$"ReverseProxy:Routes:{id}:ClusterId"] = cluster;
            settings[$"ReverseProxy:Routes:{id}:Match:Path"] = prefix + path;
            settings[$"ReverseProxy:Routes:{id}:Metadata:AiGuard.Policy"] = policy;
            settings[$"ReverseProxy:Routes:{id}:Transforms:0:PathRemovePrefix"] = prefix;
        }

        Route("rounded", "demo", "/rounded", "/v2/{**rest}", "rounded");
        settings["AiGuard:Policies:rounded:Protocol"] = "open-inference-v2";
        settings["AiGuard:Policies:rounded:Output:Hardening:Decimals"] = "2";
        Route("label", "demo", "/label", "/v2/{**rest}", "label");
        settings["AiGuard:Policies:label:Protocol"] = "open-inference-v2";
        settings["AiGuard:Policies:label:Output:Hardening:LabelOnly"] = "true";
        Route("tiny", "demo", "/tiny", "/v2/{**rest}", "tiny");
        settings["AiGuard:Policies:tiny:Protocol"] = "open-inference-v2";
        settings["AiGuard:Policies:tiny:Output:Hardening:Decimals"] = "2";
        settings["AiGuard:Policies:tiny:Output:MaxResponseBytes"] = "40";
        Route("plain", "demo", "/plain", "/v2/{**rest}", "plain");
        settings["AiGuard:Policies:plain:Protocol"] = "open-inference-v2";
        settings["AiGuard:Policies:plain:Output:RemoveServerHeaders"] = "false";
        Route("stream", "streaming", "/stream", "/v1/chat/completions", "llm-stream");
        settings["ReverseProxy:Clusters:streaming:Destinations:d1:Address"] = Streaming.BaseAddress.ToString();
        settings["AiGuard:Policies:llm-stream:Protocol"] = "openai";
        Route("broken", "demo", "/broken", "/v2/{**rest}", "broken");
        settings["AiGuard:Policies:broken:Protocol"] = "broken";

        Gateway = await GatewayUnderTest.StartAsync(settings, builder =>
        {
            builder.Services.AddGuardStage<ScriptedRequestStage>();
            builder.Services.AddGuardStage<ScriptedStreamStage>();
            builder.Services.AddSingleton<IProtocolAdapter, BrokenAdapter>();
        });
    }

    public async Task DisposeAsync()
    {
        await Gateway.DisposeAsync();
        await Streaming.DisposeAsync();
        await _demo!.DisposeAsync();
    }

    /// <summary>A protocol adapter with a bug: it throws something other than a protocol violation.</summary>
    private sealed class BrokenAdapter : IProtocolAdapter
    {
        public string Name => "broken";

        public ProtocolOperation? Match(string method, string path) => new("infer", HasBody: true);

        public InferenceRequest ParseRequest(ProtocolOperation operation, ReadOnlySpan<byte> body, JsonReadLimits limits) =>
            throw new InvalidOperationException("adapter bug");

        public InferenceResponse ParseResponse(ProtocolOperation operation, ReadOnlySpan<byte> body) =>
            throw new InvalidOperationException("adapter bug");
    }
}

[CollectionDefinition(Name)]
public sealed class SeamCollection : ICollectionFixture<SeamFixture>
{
    public const string Name = "seam";
}
