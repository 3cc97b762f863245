using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AiGuard.Audit;
using AiGuard.Gateway;
using AiGuard.Identity;
using DemoModel;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AiGuard.IntegrationTests.Gateway;

/// <summary>The real demo model and the real gateway in front of it, both on OS-chosen loopback ports.</summary>
public sealed class GatewayFixture : IAsyncLifetime
{
    public const string UpstreamKey = "upstream-secret-for-tests-7f3a9c";
    public const long MaxBodyBytes = 64 * 1024;
    public const int MaxJsonDepth = 16;
    public const int MaxJsonElements = 5_000;

    private WebApplication? _demo;
    private WebApplication? _gateway;

    public RecordingAuditSink Audit { get; } = new();

    public HeaderRecordingUpstream Recorder { get; } = new();

    public HttpClient Client { get; private set; } = null!;

    public Uri GatewayAddress { get; private set; } = null!;

    /// <summary>May use every route and every demo model.</summary>
    public GeneratedApiKey Full { get; } = ApiKeyFormat.Generate();

    /// <summary>May use only the OpenAI routes and only <c>demo-chat</c>.</summary>
    public GeneratedApiKey ChatOnly { get; } = ApiKeyFormat.Generate();

    /// <summary>Has no <c>inference</c> scope.</summary>
    public GeneratedApiKey NoScope { get; } = ApiKeyFormat.Generate();

    public GeneratedApiKey Expired { get; } = ApiKeyFormat.Generate();

    public GeneratedApiKey Revoked { get; } = ApiKeyFormat.Generate();

    /// <summary>Valid at start; a test revokes it through a configuration reload.</summary>
    public GeneratedApiKey ToRevoke { get; } = ApiKeyFormat.Generate();

    /// <summary>The index of <see cref="ToRevoke"/> under <c>AiGuard:ApiKeys:Keys</c>.</summary>
    public const int ToRevokeIndex = 5;

    /// <summary>The running gateway's services.</summary>
    public IServiceProvider Services => _gateway!.Services;

    /// <summary>The running gateway's configuration, for reload tests.</summary>
    public IConfigurationRoot Configuration => (IConfigurationRoot)_gateway!.Configuration;

    public async Task InitializeAsync()
    {
        _demo = DemoModelServer.Build(["--urls", "http://127.0.0.1:0"], o =>
        {
            o.RequiredApiKey = UpstreamKey;
            o.EnableFaults = true;
        });
        await _demo.StartAsync();
        await Recorder.StartAsync();
        var demoAddress = _demo.Urls.Single();

        Environment.SetEnvironmentVariable("AIGUARD_TEST_UPSTREAM_KEY", UpstreamKey);
        _gateway = GatewayApp.Build([], builder =>
        {
            builder.Configuration.Sources.Clear();
            builder.Configuration.AddInMemoryCollection(GatewayUnderTest.TestDefaults);
            builder.Configuration.AddInMemoryCollection(Settings(demoAddress));
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Services.AddSingleton<IAuditSink>(Audit);
        });
        await _gateway.StartAsync();
        GatewayAddress = new Uri(_gateway.Urls.Single());
        Client = new HttpClient { BaseAddress = GatewayAddress };
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        foreach (var app in new[] { _gateway, _demo })
        {
            if (app is not null)
            {
                await app.StopAsync();
                await app.DisposeAsync();
            }
        }

        await Recorder.DisposeAsync();
    }

    public static HttpRequestMessage Json(HttpMethod method, string path, string json, GeneratedApiKey? key, string contentType = "application/json")
    {
        var request = new HttpRequestMessage(method, path)
        {
            Content = new StringContent(json, Encoding.UTF8, contentType),
        };
        if (key is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", key.Key);
        }

        return request;
    }

    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    private Dictionary<string, string?> Settings(string demoAddress)
    {
        var settings = new Dictionary<string, string?>
        {
            ["ReverseProxy:Clusters:demo:Destinations:d1:Address"] = demoAddress,
            ["ReverseProxy:Clusters:demo:HttpRequest:ActivityTimeout"] = "00:00:02",
            ["ReverseProxy:Clusters:recorder:Destinations:d1:Address"] = Recorder.BaseAddress.ToString(),
            // Nothing listens on port 9 of loopback (discard), so connections are refused.
            ["ReverseProxy:Clusters:dead:Destinations:d1:Address"] = "http://127.0.0.1:9/",
            ["AiGuard:Limits:MaxBodyBytes"] = MaxBodyBytes.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["AiGuard:Limits:MaxJsonDepth"] = MaxJsonDepth.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["AiGuard:Limits:MaxJsonElements"] = MaxJsonElements.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["AiGuard:Upstreams:demo:CredentialEnvironmentVariable"] = "AIGUARD_TEST_UPSTREAM_KEY",
            ["AiGuard:Upstreams:recorder:Credential"] = UpstreamKey,
            ["AiGuard:Upstreams:recorder:Headers:x-upstream-tenant"] = "tests",
            ["AiGuard:Audit:Console"] = "false",
        };

        void Route(string id, string cluster, string path, string protocol, string? method = null)
        {
            settings[$"ReverseProxy:Routes:{id}:ClusterId"] = cluster;
            settings[$"ReverseProxy:Routes:{id}:Match:Path"] = path;
            if (method is not null)
            {
                settings[$"ReverseProxy:Routes:{id}:Match:Methods:0"] = method;
            }

            // One policy per route here, named after it; several routes may share one.
            settings[$"ReverseProxy:Routes:{id}:Metadata:AiGuard.Policy"] = id;
            settings[$"AiGuard:Policies:{id}:Protocol"] = protocol;
            settings[$"AiGuard:Policies:{id}:RequiredScopes:0"] = "inference";
        }

        Route("openai-chat", "demo", "/v1/chat/completions", "openai", "POST");
        Route("openai-models", "demo", "/v1/models", "openai", "GET");
        Route("oip-v2", "demo", "/v2/{**rest}", "open-inference-v2");
        Route("tf-serving", "demo", "/v1/models/{**rest}", "tf-serving");
        Route("recorder-chat", "recorder", "/recorder/v1/chat/completions", "openai", "POST");
        settings["ReverseProxy:Routes:recorder-chat:Transforms:0:PathRemovePrefix"] = "/recorder";
        Route("dead-chat", "dead", "/dead/v1/chat/completions", "openai", "POST");
        settings["ReverseProxy:Routes:dead-chat:Transforms:0:PathRemovePrefix"] = "/dead";

        var index = 0;
        void Key(GeneratedApiKey key, string client, string[] scopes, string[] routes, string[] models, string? expires = null, bool revoked = false)
        {
            var at = $"AiGuard:ApiKeys:Keys:{index++}";
            settings[$"{at}:Id"] = key.Id;
            settings[$"{at}:Hash"] = key.Hash;
            settings[$"{at}:ClientId"] = client;
            settings[$"{at}:Tenant"] = "acme";
            for (var i = 0; i < scopes.Length; i++)
            {
                settings[$"{at}:Scopes:{i}"] = scopes[i];
            }

            for (var i = 0; i < routes.Length; i++)
            {
                settings[$"{at}:AllowedRoutes:{i}"] = routes[i];
            }

            for (var i = 0; i < models.Length; i++)
            {
                settings[$"{at}:AllowedModels:{i}"] = models[i];
            }

            settings[$"{at}:ExpiresAt"] = expires;
            settings[$"{at}:Revoked"] = revoked ? "true" : "false";
        }

        Key(Full, "full-client", ["inference"], ["*"], ["demo-*"]);
        Key(ChatOnly, "chat-client", ["inference"], ["openai-*", "recorder-*"], ["demo-chat"]);
        Key(NoScope, "noscope-client", ["admin"], ["*"], ["*"]);
        Key(Expired, "expired-client", ["inference"], ["*"], ["*"], expires: "2020-01-01T00:00:00Z");
        Key(Revoked, "revoked-client", ["inference"], ["*"], ["*"], revoked: true);
        Key(ToRevoke, "rotating-client", ["inference"], ["*"], ["*"]);
        return settings;
    }
}

[CollectionDefinition(Name)]
public sealed class GatewayCollection : ICollectionFixture<GatewayFixture>
{
    public const string Name = "gateway";
}
