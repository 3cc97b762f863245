using AiGuard.Audit;
using AiGuard.Gateway;
using DemoModel;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace AiGuard.IntegrationTests.Gateway;

/// <summary>A real gateway on an OS-chosen loopback port with the settings a test gives it.</summary>
public sealed class GatewayUnderTest : IAsyncDisposable
{
    private GatewayUnderTest(WebApplication app, RecordingAuditSink audit)
    {
        App = app;
        Audit = audit;
        Address = new Uri(app.Urls.Single());
        Client = new HttpClient { BaseAddress = Address };
    }

    /// <summary>Settings every test gateway starts from (a test's own settings win): the admin listener on a free loopback port.</summary>
    public static readonly IReadOnlyDictionary<string, string?> TestDefaults = new Dictionary<string, string?>
    {
        ["AiGuard:Admin:Urls"] = "http://127.0.0.1:0",
    };

    public WebApplication App { get; }

    public RecordingAuditSink Audit { get; }

    public Uri Address { get; }

    public HttpClient Client { get; }

    public IConfigurationRoot Configuration => (IConfigurationRoot)App.Configuration;

    public static async Task<GatewayUnderTest> StartAsync(IDictionary<string, string?> settings, Action<WebApplicationBuilder>? configure = null)
    {
        var audit = new RecordingAuditSink();
        var app = GatewayApp.Build([], builder =>
        {
            builder.Configuration.Sources.Clear();
            builder.Configuration.AddInMemoryCollection(TestDefaults);
            builder.Configuration.AddInMemoryCollection(settings);
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Services.AddSingleton<IAuditSink>(audit);
            configure?.Invoke(builder);
        });
        await app.StartAsync();
        return new GatewayUnderTest(app, audit);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}

/// <summary>The real demo model on an OS-chosen loopback port, accepting only <see cref="Key"/>.</summary>
public sealed class DemoUpstream : IAsyncDisposable
{
    public const string Key = "upstream-secret-for-tests-7f3a9c";

    private readonly WebApplication _app;

    private DemoUpstream(WebApplication app)
    {
        _app = app;
        Address = app.Urls.Single();
    }

    public string Address { get; }

    public static async Task<DemoUpstream> StartAsync(Action<DemoModelOptions>? configure = null)
    {
        var app = DemoModelServer.Build(["--urls", "http://127.0.0.1:0"], o =>
        {
            o.RequiredApiKey = Key;
            o.EnableFaults = true;
            configure?.Invoke(o);
        });
        await app.StartAsync();
        return new DemoUpstream(app);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}

/// <summary>Settings for small gateways in tests: routes, policies, keys.</summary>
public static class GatewaySettings
{
    /// <summary>Routes <c>chat</c> (policy <c>llm</c>) and <c>infer</c> (policy <c>tensors</c>) to the demo model, audit console off.</summary>
    public static Dictionary<string, string?> ForDemo(string upstream) => new()
    {
        ["ReverseProxy:Routes:chat:ClusterId"] = "demo",
        ["ReverseProxy:Routes:chat:Match:Path"] = "/v1/chat/completions",
        ["ReverseProxy:Routes:chat:Metadata:AiGuard.Policy"] = "llm",
        ["ReverseProxy:Routes:infer:ClusterId"] = "demo",
        ["ReverseProxy:Routes:infer:Match:Path"] = "/v2/{**rest}",
        ["ReverseProxy:Routes:infer:Metadata:AiGuard.Policy"] = "tensors",
        ["ReverseProxy:Routes:predict:ClusterId"] = "demo",
        ["ReverseProxy:Routes:predict:Match:Path"] = "/v1/models/{**rest}",
        ["ReverseProxy:Routes:predict:Metadata:AiGuard.Policy"] = "tf",
        ["ReverseProxy:Clusters:demo:Destinations:d1:Address"] = upstream,
        ["AiGuard:Upstreams:demo:Credential"] = DemoUpstream.Key,
        ["AiGuard:Policies:llm:Protocol"] = "openai",
        ["AiGuard:Policies:tensors:Protocol"] = "open-inference-v2",
        ["AiGuard:Policies:tf:Protocol"] = "tf-serving",
        ["AiGuard:Audit:Console"] = "false",
    };

    /// <summary>Adds a key that may use every route and every demo model.</summary>
    public static Dictionary<string, string?> WithKey(this Dictionary<string, string?> settings, AiGuard.Identity.GeneratedApiKey key, int index = 0, string client = "tester")
    {
        settings[$"AiGuard:ApiKeys:Keys:{index}:Id"] = key.Id;
        settings[$"AiGuard:ApiKeys:Keys:{index}:Hash"] = key.Hash;
        settings[$"AiGuard:ApiKeys:Keys:{index}:ClientId"] = client;
        settings[$"AiGuard:ApiKeys:Keys:{index}:AllowedRoutes:0"] = "*";
        settings[$"AiGuard:ApiKeys:Keys:{index}:AllowedModels:0"] = "demo-*";
        return settings;
    }
}
