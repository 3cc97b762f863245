using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace AiGuard.IntegrationTests.Limits;

/// <summary>An OpenAI-style upstream that holds every request it receives until the test releases them, counting them as they arrive.</summary>
public sealed class BlockingUpstream : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly Gate _gate;

    private BlockingUpstream(WebApplication app, Gate gate)
    {
        _app = app;
        _gate = gate;
        Address = app.Urls.Single();
    }

    public string Address { get; }

    /// <summary>Requests received so far (each is held until <see cref="Release"/>).</summary>
    public int Arrived => Volatile.Read(ref _gate.Arrived);

    /// <summary>Answers every request held and every later one at once.</summary>
    public void Release() => _gate.Open.TrySetResult();

    public static async Task<BlockingUpstream> StartAsync()
    {
        var gate = new Gate();
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        app.MapPost("/v1/chat/completions", async (HttpContext context) =>
        {
            Interlocked.Increment(ref gate.Arrived);
            await gate.Open.Task;
            context.Response.ContentType = "application/json";
            await context.Response.WriteAsync("""{"id":"x","object":"chat.completion","model":"demo-chat","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}]}""");
        });
        await app.StartAsync();
        return new BlockingUpstream(app, gate);
    }

    public async ValueTask DisposeAsync()
    {
        Release();
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private sealed class Gate
    {
        // A field: counted with Interlocked.
        public int Arrived;

        public TaskCompletionSource Open { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
