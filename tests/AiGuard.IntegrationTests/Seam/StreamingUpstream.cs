using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AiGuard.IntegrationTests.Seam;

/// <summary>
/// A real upstream that streams a chat completion as SSE in small pieces: the first event, then
/// it waits until the test releases it, then the rest (split across writes mid-event) and [DONE].
/// </summary>
public sealed class StreamingUpstream : IAsyncDisposable
{
    private WebApplication? _app;
    private TaskCompletionSource _release = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Uri BaseAddress { get; private set; } = null!;

    /// <summary>The words streamed, one event each, after a first event carrying the role.</summary>
    public static readonly string[] Words = ["Hello", " secret", " world", " and", " secret", " again"];

    public void Release() => _release.TrySetResult();

    public void Reset() => _release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapPost("/v1/chat/completions", StreamAsync);
        await _app.StartAsync();
        BaseAddress = new Uri(_app.Urls.Single());
    }

    private async Task StreamAsync(HttpContext context)
    {
        context.Response.ContentType = "text/event-stream";
        context.Response.Headers["X-Powered-By"] = "test-upstream/1.0";
        var body = context.Response.Body;
        await WriteAsync(body, Event("""{"object":"chat.completion.chunk","model":"demo-chat","choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}"""));
        await _release.Task.WaitAsync(TimeSpan.FromSeconds(20), context.RequestAborted);
        foreach (var word in Words)
        {
            var chunk = Event($$$"""{"object":"chat.completion.chunk","model":"demo-chat","choices":[{"index":0,"delta":{"content":"{{{word}}}"}}]}""");
            // Split every event across two writes, so the gateway sees partial events.
            await WriteAsync(body, chunk[..7]);
            await WriteAsync(body, chunk[7..]);
        }

        await WriteAsync(body, Event("""{"object":"chat.completion.chunk","model":"demo-chat","choices":[],"usage":{"prompt_tokens":3,"completion_tokens":6,"total_tokens":9}}"""));
        await WriteAsync(body, "data: [DONE]\n\n");
    }

    private static string Event(string json) => "data: " + json + "\n\n";

    private static async Task WriteAsync(Stream body, string text)
    {
        await body.WriteAsync(Encoding.UTF8.GetBytes(text));
        await body.FlushAsync();
    }

    public async ValueTask DisposeAsync()
    {
        Release();
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
