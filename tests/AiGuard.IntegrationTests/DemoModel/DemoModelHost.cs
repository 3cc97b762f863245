using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using DemoModel;
using Microsoft.AspNetCore.Builder;

namespace AiGuard.IntegrationTests.DemoModel;

/// <summary>Runs the real demo model server on 127.0.0.1 with an OS-chosen port for one test class.</summary>
public abstract class DemoModelHost : IAsyncLifetime
{
    private WebApplication? _app;

    public HttpClient Client { get; private set; } = null!;

    public Uri BaseAddress { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _app = DemoModelServer.Build(["--urls", "http://127.0.0.1:0"], Configure);
        await _app.StartAsync();
        BaseAddress = new Uri(_app.Urls.Single());
        Client = new HttpClient { BaseAddress = BaseAddress };
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }

    public async Task<(HttpResponseMessage Response, JsonElement Body)> PostJsonAsync(string path, string json, string? bearer = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path)
        {
            Content = new StringContent(json, Encoding.UTF8, "application/json"),
        };
        if (bearer is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearer);
        }

        var response = await Client.SendAsync(request);
        return (response, await ReadJsonAsync(response));
    }

    public async Task<(HttpResponseMessage Response, JsonElement Body)> GetJsonAsync(string path)
    {
        var response = await Client.GetAsync(new Uri(path, UriKind.Relative));
        return (response, await ReadJsonAsync(response));
    }

    protected abstract void Configure(DemoModelOptions options);

    private static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }
}

/// <summary>The demo model with fault injection and the debug endpoints switched on, no API key.</summary>
public sealed class DemoModelFixture : DemoModelHost
{
    /// <summary>The clock the slow fault waits on.</summary>
    public Microsoft.Extensions.Time.Testing.FakeTimeProvider Time { get; } = new();

    protected override void Configure(DemoModelOptions options)
    {
        options.EnableFaults = true;
        options.EnableDebugEndpoints = true;
        options.Time = Time;
    }
}

/// <summary>The demo model as a locked-down upstream: an API key is required, faults and debug endpoints are off.</summary>
public sealed class DemoModelWithApiKeyFixture : DemoModelHost
{
    public const string ApiKey = "upstream-test-key-0123456789";

    protected override void Configure(DemoModelOptions options) => options.RequiredApiKey = ApiKey;
}
