using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace AiGuard.IntegrationTests.Limits;

/// <summary>An OpenAI-style upstream that answers each request only when the test lets it.</summary>
public sealed class BlockingUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;

    private BlockingUpstream(WebApplication app)
    {
        _app = app;
        Address = app.Urls.Single();
    }

    public string Address { get; }

    public static async Task<BlockingUpstream> StartAsync(Func<Task> hold)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapPost("/v1/chat/completions", async (HttpContext context) =>
        {
            await hold();
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"id":"x","object":"chat.completion","model":"demo-chat","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}""");
        });
        await app.StartAsync();
        return new BlockingUpstream(app);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
