using System.Net.Http.Headers;
using System.Text.Json;
using AiGuard.Admin;
using AiGuard.Identity;
using AiGuard.IntegrationTests.Gateway;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace AiGuard.IntegrationTests.Admin;

/// <summary>A real gateway with its admin listener, both on OS-chosen loopback ports, and an admin key and a model key.</summary>
internal sealed class AdminGateway : IAsyncDisposable
{
    private AdminGateway(GatewayUnderTest gateway, GeneratedApiKey adminKey, GeneratedApiKey modelKey)
    {
        Gateway = gateway;
        AdminKey = adminKey;
        ModelKey = modelKey;
        AdminAddress = gateway.App.Services.GetRequiredService<AdminListener>().Addresses.Single();
        Admin = new HttpClient { BaseAddress = AdminAddress };
        Admin.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", adminKey.Key);
        Anonymous = new HttpClient { BaseAddress = AdminAddress };
    }

    public GatewayUnderTest Gateway { get; }

    public GeneratedApiKey AdminKey { get; }

    /// <summary>Client <c>tester</c>: every route, no admin scope.</summary>
    public GeneratedApiKey ModelKey { get; }

    public Uri AdminAddress { get; }

    /// <summary>Sends the admin key.</summary>
    public HttpClient Admin { get; }

    public HttpClient Anonymous { get; }

    public static Dictionary<string, string?> Settings(string upstream, GeneratedApiKey adminKey, GeneratedApiKey modelKey)
    {
        var settings = GatewaySettings.ForDemo(upstream).WithKey(modelKey, 0, "tester");
        settings["AiGuard:Admin:Keys:0:Id"] = adminKey.Id;
        settings["AiGuard:Admin:Keys:0:Hash"] = adminKey.Hash;
        settings["AiGuard:Admin:Keys:0:Name"] = "alice";
        return settings;
    }

    public static async Task<AdminGateway> StartAsync(string upstream, Action<Dictionary<string, string?>>? adjust = null, Action<WebApplicationBuilder>? configure = null, GeneratedApiKey? adminKey = null)
    {
        var admin = adminKey ?? ApiKeyFormat.Generate("aga");
        var model = ApiKeyFormat.Generate();
        var settings = Settings(upstream, admin, model);
        adjust?.Invoke(settings);
        var gateway = await GatewayUnderTest.StartAsync(settings, configure);
        return new AdminGateway(gateway, admin, model);
    }

    public async Task<HttpResponseMessage> ChatAsync(GeneratedApiKey key)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Headers = { Authorization = new AuthenticationHeaderValue("Bearer", key.Key) },
            Content = new StringContent("""{"model":"demo-chat","messages":[{"role":"user","content":"hello"}]}""", System.Text.Encoding.UTF8, "application/json"),
        };
        return await Gateway.Client.SendAsync(request);
    }

    public static async Task<JsonElement> JsonAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone();

    public async ValueTask DisposeAsync()
    {
        Admin.Dispose();
        Anonymous.Dispose();
        await Gateway.DisposeAsync();
    }
}
