using System.Diagnostics.Metrics;
using System.Net;
using AiGuard.Configuration;
using AiGuard.Identity;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using static AiGuard.IntegrationTests.Gateway.GatewayFixture;

namespace AiGuard.IntegrationTests.Gateway;

/// <summary>A configuration change is applied as a whole or not at all, without a restart.</summary>
public sealed class ConfigurationReloadTests : IAsyncLifetime
{
    private const string Chat = """{"model":"demo-chat","messages":[{"role":"user","content":"hi"}]}""";
    private const string Tensor = """{"inputs":[{"name":"features","shape":[1,4],"datatype":"FP32","data":[5.0,3.4,1.5,0.25]}]}""";

    private readonly GeneratedApiKey _old = ApiKeyFormat.Generate();
    private readonly GeneratedApiKey _new = ApiKeyFormat.Generate();
    private DemoUpstream _demo = null!;
    private GatewayUnderTest _gateway = null!;
    private MetricCollector<long> _reloads = null!;

    public async Task InitializeAsync()
    {
        _demo = await DemoUpstream.StartAsync();
        _gateway = await GatewayUnderTest.StartAsync(GatewaySettings.ForDemo(_demo.Address).WithKey(_old));
        _reloads = new MetricCollector<long>(_gateway.App.Services.GetRequiredService<IMeterFactory>(), ConfigurationMetrics.MeterName, "aiguard.config.reloads");
    }

    public async Task DisposeAsync()
    {
        _reloads.Dispose();
        await _gateway.DisposeAsync();
        await _demo.DisposeAsync();
    }

    private async Task<HttpStatusCode> StatusAsync(string path, string body, GeneratedApiKey key)
    {
        using var response = await _gateway.Client.SendAsync(Json(HttpMethod.Post, path, body, key));
        return response.StatusCode;
    }

    private void Change(params (string Key, string? Value)[] changes)
    {
        foreach (var (key, value) in changes)
        {
            _gateway.Configuration[key] = value;
        }

        _gateway.Configuration.Reload();
    }

    private (string, string?)[] NewKeyAndNewRoute(string hash) =>
    [
        ("AiGuard:ApiKeys:Keys:1:Id", _new.Id),
        ("AiGuard:ApiKeys:Keys:1:Hash", hash),
        ("AiGuard:ApiKeys:Keys:1:AllowedRoutes:0", "*"),
        ("AiGuard:ApiKeys:Keys:1:AllowedModels:0", "demo-*"),
        ("ReverseProxy:Routes:mirror:ClusterId", "demo"),
        ("ReverseProxy:Routes:mirror:Match:Path", "/mirror/v2/{**rest}"),
        ("ReverseProxy:Routes:mirror:Transforms:0:PathRemovePrefix", "/mirror"),
        ("ReverseProxy:Routes:mirror:Metadata:AiGuard.Policy", "tensors"),
        ("ReverseProxy:Clusters:demo:Destinations:d1:Address", "http://127.0.0.1:9/"),
    ];

    [Fact]
    public async Task Revoking_a_key_takes_effect_without_a_restart()
    {
        Assert.Equal(HttpStatusCode.OK, await StatusAsync("/v1/chat/completions", Chat, _old));

        Change(("AiGuard:ApiKeys:Keys:0:Revoked", "true"));

        using var after = await _gateway.Client.SendAsync(Json(HttpMethod.Post, "/v1/chat/completions", Chat, _old));
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        Assert.Equal("revoked_api_key", (await ReadJsonAsync(after)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_good_change_swaps_keys_routes_and_clusters_together()
    {
        var version = _gateway.App.Services.GetRequiredService<GatewayConfiguration>().Current.Version;

        Change(NewKeyAndNewRoute(_new.Hash).Where(c => c.Item1 != "ReverseProxy:Clusters:demo:Destinations:d1:Address").ToArray());

        Assert.Equal(version + 1, _gateway.App.Services.GetRequiredService<GatewayConfiguration>().Current.Version);
        Assert.Equal(HttpStatusCode.OK, await StatusAsync("/mirror/v2/models/demo-classifier/infer", Tensor, _new));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync("/v2/models/demo-classifier/infer", Tensor, _old));
        Assert.Contains(_reloads.GetMeasurementSnapshot(), m => Equals(m.Tags["aiguard.outcome"], "applied"));
    }

    [Fact]
    public async Task A_bad_change_leaves_the_old_keys_routes_and_upstreams_all_in_force()
    {
        var configuration = _gateway.App.Services.GetRequiredService<GatewayConfiguration>();
        var version = configuration.Current.Version;

        // A new key with a broken hash, a new route and a new upstream address: all or nothing.
        Change(NewKeyAndNewRoute("sha256:nothex"));

        Assert.Equal(version, configuration.Current.Version);
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync("/v2/models/demo-classifier/infer", Tensor, _new));
        Assert.Equal(HttpStatusCode.NotFound, await StatusAsync("/mirror/v2/models/demo-classifier/infer", Tensor, _old));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync("/v2/models/demo-classifier/infer", Tensor, _old));
        var rejected = Assert.Single(_reloads.GetMeasurementSnapshot(), m => Equals(m.Tags["aiguard.outcome"], "rejected"));
        Assert.Equal(1, rejected.Value);
    }

    [Fact]
    public async Task A_change_yarp_itself_would_refuse_is_caught_before_anything_changes()
    {
        var configuration = _gateway.App.Services.GetRequiredService<GatewayConfiguration>();
        var version = configuration.Current.Version;

        Change(
            ("AiGuard:ApiKeys:Keys:1:Id", _new.Id),
            ("AiGuard:ApiKeys:Keys:1:Hash", _new.Hash),
            ("AiGuard:ApiKeys:Keys:1:AllowedRoutes:0", "*"),
            ("AiGuard:ApiKeys:Keys:1:AllowedModels:0", "demo-*"),
            ("ReverseProxy:Routes:chat:Match:Path", "/v1/{**a}/{**b}"));

        Assert.Equal(version, configuration.Current.Version);
        Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync("/v1/chat/completions", Chat, _new));
        Assert.Equal(HttpStatusCode.OK, await StatusAsync("/v1/chat/completions", Chat, _old));
    }
}
