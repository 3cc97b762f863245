using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AiGuard.IntegrationTests.Gateway;

/// <summary>A real upstream that answers chat completions and remembers the headers each request carried.</summary>
public sealed class HeaderRecordingUpstream : IAsyncDisposable
{
    private WebApplication? _app;

    public ConcurrentQueue<IHeaderDictionary> Received { get; } = new();

    /// <summary>The chat completion it answers with.</summary>
    public string Answer { get; set; } =
        """{"id":"c","object":"chat.completion","model":"demo-chat","choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}""";

    /// <summary>A whole chat completion whose one choice calls one tool with these arguments.</summary>
    public static string ToolCallAnswer(string name, string arguments) =>
        """{"id":"c","object":"chat.completion","model":"demo-chat","choices":[{"index":0,"message":{"role":"assistant","content":null,"tool_calls":[{"id":"t1","type":"function","function":{"name":NAME,"arguments":ARGS}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":1,"completion_tokens":1,"total_tokens":2}}"""
            .Replace("NAME", System.Text.Json.JsonSerializer.Serialize(name), StringComparison.Ordinal)
            .Replace("ARGS", System.Text.Json.JsonSerializer.Serialize(arguments), StringComparison.Ordinal);

    /// <summary>When set, the answer is a stream of these events' data (then <c>[DONE]</c>) instead of <see cref="Answer"/>.</summary>
    public IReadOnlyList<string>? Events { get; set; }

    /// <summary>The bodies of the chat requests received, as sent by the gateway.</summary>
    public ConcurrentQueue<string> Bodies { get; } = new();

    public Uri BaseAddress { get; private set; } = null!;

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapPost("/v1/chat/completions", async (HttpContext context) =>
        {
            Received.Enqueue(new HeaderDictionary(context.Request.Headers.ToDictionary(h => h.Key, h => h.Value)));
            using (var reader = new StreamReader(context.Request.Body))
            {
                Bodies.Enqueue(await reader.ReadToEndAsync());
            }

            if (Events is { } events)
            {
                context.Response.ContentType = "text/event-stream";
                foreach (var data in events)
                {
                    await context.Response.WriteAsync("data: " + data + "\n\n");
                    await context.Response.Body.FlushAsync();
                }

                await context.Response.WriteAsync("data: [DONE]\n\n");
                return Results.Empty;
            }

            return Results.Text(Answer, "application/json");
        });
        await _app.StartAsync();
        BaseAddress = new Uri(_app.Urls.Single());
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
