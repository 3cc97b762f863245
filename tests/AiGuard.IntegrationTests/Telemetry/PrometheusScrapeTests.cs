using System.Globalization;
using System.Net;
using System.Text.RegularExpressions;
using AiGuard.Identity;
using AiGuard.IntegrationTests.Gateway;
using Microsoft.Extensions.DependencyInjection;
using static AiGuard.IntegrationTests.Gateway.GatewayFixture;

namespace AiGuard.IntegrationTests.Telemetry;

/// <summary>
/// The optional Prometheus scrape endpoint: off by default; on the admin listener unless told
/// otherwise; no key needed; on the gateway's listener never shadowed by a proxy route.
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed partial class PrometheusScrapeTests
{
    private static async Task<(GatewayUnderTest Gateway, DemoUpstream Demo, GeneratedApiKey Key)> StartAsync(bool enabled, string? path = null, string? listener = null)
    {
        var demo = await DemoUpstream.StartAsync();
        var key = ApiKeyFormat.Generate();
        var settings = GatewaySettings.ForDemo(demo.Address).WithKey(key);
        settings["AiGuard:Telemetry:Prometheus:Enabled"] = enabled ? "true" : "false";
        if (path is not null)
        {
            settings["AiGuard:Telemetry:Prometheus:Path"] = path;
        }

        if (listener is not null)
        {
            settings["AiGuard:Telemetry:Prometheus:Listener"] = listener;
        }

        // A proxy route that matches every path, ordered ahead of the others: it must not take the scrape.
        settings["ReverseProxy:Routes:everything:ClusterId"] = "demo";
        settings["ReverseProxy:Routes:everything:Order"] = "-1000";
        settings["ReverseProxy:Routes:everything:Match:Path"] = "/{**catch-all}";
        settings["ReverseProxy:Routes:everything:Metadata:AiGuard.Policy"] = "llm";
        return (await GatewayUnderTest.StartAsync(settings), demo, key);
    }

    /// <summary>A client for the gateway's admin listener.</summary>
    private static HttpClient AdminClient(GatewayUnderTest gateway) =>
        new() { BaseAddress = gateway.App.Services.GetRequiredService<AiGuard.Admin.AdminListener>().Addresses.Single() };

    [Fact]
    public async Task By_default_the_admin_listener_serves_the_scrape_without_a_key_and_the_gateway_port_does_not()
    {
        var (gateway, demo, key) = await StartAsync(enabled: true);
        await using var _ = demo;
        await using var __ = gateway;
        using var admin = AdminClient(gateway);
        using var refused = await gateway.Client.SendAsync(Json(HttpMethod.Post, "/v1/chat/completions", """{"model":"demo-chat"}""", key));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);

        using var scrape = await admin.GetAsync("/metrics");
        var text = await scrape.Content.ReadAsStringAsync();
        using var onGateway = await gateway.Client.GetAsync("/metrics");
        var openApi = await admin.GetStringAsync("/openapi/v1.json");

        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        Assert.Contains(Parse(text), s => s.Name == "aiguard_decisions_total" && s.Labels.GetValueOrDefault("aiguard_code") == "invalid_body");
        Assert.Equal(HttpStatusCode.Unauthorized, onGateway.StatusCode);
        Assert.DoesNotContain("/metrics", openApi, StringComparison.Ordinal);

        // The one audit event on the path is the gateway port's refusal; the scrape has none.
        Assert.Equal("missing_credentials", Assert.Single(gateway.Audit.Events, e => e.Path == "/metrics").Code);
    }

    [Fact]
    public async Task On_the_gateway_listener_the_scrape_needs_no_key_wins_over_a_catch_all_route_and_names_metrics_with_their_units()
    {
        var (gateway, demo, key) = await StartAsync(enabled: true, listener: "gateway");
        await using var _ = demo;
        await using var __ = gateway;
        using var admin = AdminClient(gateway);
        using var refused = await gateway.Client.SendAsync(Json(HttpMethod.Post, "/v1/chat/completions", """{"model":"demo-chat"}""", key));
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);

        using var scrape = await gateway.Client.GetAsync("/metrics");
        var text = await scrape.Content.ReadAsStringAsync();
        using var onAdmin = await admin.GetAsync("/metrics");
        Assert.Equal(HttpStatusCode.NotFound, onAdmin.StatusCode);

        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        Assert.StartsWith("text/plain", scrape.Content.Headers.ContentType?.MediaType, StringComparison.Ordinal);
        var samples = Parse(text);
        var decision = Assert.Single(samples, s => s.Name == "aiguard_decisions_total" && s.Labels.GetValueOrDefault("aiguard_code") == "invalid_body");
        Assert.Equal(1, decision.Value);
        Assert.Equal("parse", decision.Labels["aiguard_stage"]);
        Assert.Equal("refuse", decision.Labels["aiguard_action"]);
        Assert.Contains(samples, s => s.Name == "aiguard_refusals_total" && s.Labels.GetValueOrDefault("http_response_status_code") == "400");
        Assert.Contains(samples, s => s.Name == "aiguard_stage_duration_seconds_bucket" && s.Labels.GetValueOrDefault("aiguard_stage") == "parse");
        Assert.Contains(samples, s => s.Name == "aiguard_audit_queue_depth");
        Assert.Contains(samples, s => s.Name == "aiguard_audit_dropped_total" && s.Value == 0);
        Assert.True(TypeLine("aiguard_decisions_total", "counter").IsMatch(text), text);
        Assert.True(TypeLine("aiguard_stage_duration_seconds", "histogram").IsMatch(text), text);

        // The audit trail has no entry for the scrape (the one on the path is the admin port's 404), and no key was asked for.
        Assert.Equal("route_not_found", Assert.Single(gateway.Audit.Events, e => e.Path == "/metrics").Code);
        Assert.DoesNotContain(key.Key, text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_path_is_configurable_and_the_default_path_then_belongs_to_the_proxy()
    {
        var (gateway, demo, _) = await StartAsync(enabled: true, path: "/internal/prometheus", listener: "gateway");
        await using var _d = demo;
        await using var _g = gateway;

        using var scrape = await gateway.Client.GetAsync("/internal/prometheus");
        using var old = await gateway.Client.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.OK, scrape.StatusCode);
        var text = await scrape.Content.ReadAsStringAsync();
        Assert.True(TypeLine("aiguard_config_reloads_total", "counter").IsMatch(text), text);
        Assert.Equal(HttpStatusCode.Unauthorized, old.StatusCode);
    }

    [Fact]
    public async Task Off_by_default_the_path_belongs_to_the_proxy_and_needs_a_key()
    {
        var (gateway, demo, _) = await StartAsync(enabled: false);
        await using var _d = demo;
        await using var _g = gateway;

        using var admin = AdminClient(gateway);
        using var scrape = await gateway.Client.GetAsync("/metrics");
        using var onAdmin = await admin.GetAsync("/metrics");

        Assert.Equal(HttpStatusCode.Unauthorized, scrape.StatusCode);
        Assert.Equal("application/problem+json", scrape.Content.Headers.ContentType?.MediaType);
        Assert.Equal(HttpStatusCode.NotFound, onAdmin.StatusCode);
    }

    private static Regex TypeLine(string name, string type) => new($"(?m)^# TYPE {name} {type}$");

    /// <summary>The samples of a Prometheus text exposition: name, labels, value.</summary>
    private static List<(string Name, Dictionary<string, string> Labels, double Value)> Parse(string text)
    {
        var samples = new List<(string, Dictionary<string, string>, double)>();
        foreach (var line in text.Split('\n'))
        {
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            var match = Sample().Match(line);
            Assert.True(match.Success, $"not a sample line: {line}");
            var labels = Label().Matches(match.Groups["labels"].Value).ToDictionary(l => l.Groups["key"].Value, l => l.Groups["value"].Value);
            var value = match.Groups["value"].Value switch
            {
                "+Inf" => double.PositiveInfinity,
                "-Inf" => double.NegativeInfinity,
                var v => double.Parse(v, CultureInfo.InvariantCulture),
            };
            samples.Add((match.Groups["name"].Value, labels, value));
        }

        return samples;
    }

    [GeneratedRegex(@"^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(\{(?<labels>.*)\})? (?<value>\S+)( \d+)?$")]
    private static partial Regex Sample();

    [GeneratedRegex("(?<key>[a-zA-Z_][a-zA-Z0-9_]*)=\"(?<value>(?:[^\"\\\\]|\\\\.)*)\"")]
    private static partial Regex Label();
}
