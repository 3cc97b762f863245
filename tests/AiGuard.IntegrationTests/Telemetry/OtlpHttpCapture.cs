using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace AiGuard.IntegrationTests.Telemetry;

/// <summary>
/// A real OTLP/HTTP endpoint on loopback that keeps every export request it receives
/// (signal path, content type, protobuf bytes), as a collector would receive them.
/// </summary>
public sealed class OtlpHttpCapture : IAsyncDisposable
{
    private WebApplication? _app;

    public ConcurrentQueue<(string Path, string? ContentType, byte[] Body)> Exports { get; } = new();

    public Uri BaseAddress { get; private set; } = null!;

    public async Task StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.MapPost("/v1/{signal}", async (HttpContext context) =>
        {
            using var body = new MemoryStream();
            await context.Request.Body.CopyToAsync(body);
            Exports.Enqueue((context.Request.Path.Value!, context.Request.ContentType, body.ToArray()));
            context.Response.ContentType = "application/x-protobuf";
            return Results.Bytes([], "application/x-protobuf");
        });
        await _app.StartAsync();
        BaseAddress = new Uri(_app.Urls.Single());
    }

    /// <summary>Whether any export to <paramref name="path"/> contains <paramref name="text"/> as UTF-8 (protobuf keeps strings as they are).</summary>
    public bool Contains(string path, string text)
    {
        var needle = System.Text.Encoding.UTF8.GetBytes(text);
        return Exports.Any(e => e.Path == path && e.Body.AsSpan().IndexOf(needle) >= 0);
    }

    public async ValueTask DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
