using System.Net;
using AiGuard.Identity;
using AiGuard.IntegrationTests.Gateway;
using Microsoft.Extensions.DependencyInjection;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;
using static AiGuard.IntegrationTests.Gateway.GatewayFixture;

namespace AiGuard.IntegrationTests.Telemetry;

/// <summary>With an OTLP endpoint configured, decisions leave as spans and metrics over the real exporter.</summary>
public sealed class OtlpExportTests : IAsyncLifetime
{
    private readonly OtlpHttpCapture _collector = new();
    private readonly HeaderRecordingUpstream _upstream = new();
    private readonly GeneratedApiKey _key = ApiKeyFormat.Generate();
    private GatewayUnderTest _gateway = null!;

    public async Task InitializeAsync()
    {
        await _collector.StartAsync();
        await _upstream.StartAsync();
        var settings = GatewaySettings.ForDemo(_upstream.BaseAddress.ToString()).WithKey(_key);
        settings["AiGuard:Telemetry:OtlpEndpoint"] = _collector.BaseAddress.ToString();
        settings["AiGuard:Telemetry:OtlpProtocol"] = "http/protobuf";
        settings["AiGuard:Telemetry:ServiceName"] = "aiguard-under-test";
        _gateway = await GatewayUnderTest.StartAsync(settings);
    }

    public async Task DisposeAsync()
    {
        await _gateway.DisposeAsync();
        await _upstream.DisposeAsync();
        await _collector.DisposeAsync();
    }

    [Fact]
    public async Task Stage_spans_decision_events_and_decision_metrics_arrive_at_the_collector()
    {
        using var refused = await _gateway.Client.SendAsync(Json(HttpMethod.Post, "/v1/chat/completions", """{"model":"demo-chat"}""", _key));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var incident = (await ReadJsonAsync(refused)).GetProperty("incidentId").GetString()!;
        using var served = await _gateway.Client.SendAsync(Json(HttpMethod.Post, "/v1/chat/completions", """{"model":"demo-chat","messages":[{"role":"user","content":"hi"}]}""", _key));
        Assert.Equal(HttpStatusCode.OK, served.StatusCode);

        Assert.True(_gateway.App.Services.GetRequiredService<TracerProvider>().ForceFlush(10_000));
        Assert.True(_gateway.App.Services.GetRequiredService<MeterProvider>().ForceFlush(10_000));

        Assert.All(_collector.Exports, e => Assert.Equal("application/x-protobuf", e.ContentType));
        Assert.True(_collector.Contains("/v1/traces", "aiguard.stage.authenticate"));
        Assert.True(_collector.Contains("/v1/traces", "aiguard.stage.parse"));
        Assert.True(_collector.Contains("/v1/traces", "aiguard.decision"));
        Assert.True(_collector.Contains("/v1/traces", incident));
        Assert.True(_collector.Contains("/v1/traces", "aiguard-under-test"));
        Assert.True(_collector.Contains("/v1/metrics", "aiguard.decisions"));
        Assert.True(_collector.Contains("/v1/metrics", "http.server.request.duration"));
        Assert.False(_collector.Contains("/v1/traces", _key.Key));
        Assert.False(_collector.Contains("/v1/metrics", _key.Key));
    }

    [Fact]
    public async Task Trace_context_is_propagated_to_the_model_server()
    {
        using var served = await _gateway.Client.SendAsync(Json(HttpMethod.Post, "/v1/chat/completions", """{"model":"demo-chat","messages":[{"role":"user","content":"hi"}]}""", _key));

        Assert.Equal(HttpStatusCode.OK, served.StatusCode);
        var headers = _upstream.Received.Last();
        Assert.Matches("^00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]$", headers["traceparent"].ToString());
    }
}
