using System.Globalization;
using DemoModel.Http;
using DemoModel.OpenAi;

namespace DemoModel.Faults;

/// <summary>
/// Misbehaves on request, so the gateway's reliability tests meet real failures: <c>x-demo-fault</c> is
/// <c>slow</c>, <c>error</c>, <c>reset</c>, <c>garbage</c> or <c>chunked</c> (a whole JSON answer sent
/// chunked in small pieces, without a Content-Length, as some servers do).
/// </summary>
internal sealed class FaultInjectionMiddleware(RequestDelegate next, DemoModelOptions options)
{
    public const string FaultHeader = "x-demo-fault";
    public const string DelayHeader = "x-demo-delay-ms";
    public const int MaxDelayMs = 600_000;

    public async Task InvokeAsync(HttpContext context)
    {
        var fault = context.Request.Headers[FaultHeader].ToString();
        if (fault.Length == 0)
        {
            await next(context);
            return;
        }

        switch (fault.ToUpperInvariant())
        {
            case "SLOW":
                if (!TryReadDelay(context.Request, out var delay))
                {
                    await PlainError.WriteAsync(context, StatusCodes.Status400BadRequest, $"{DelayHeader} must be an integer between 0 and {MaxDelayMs}.");
                    return;
                }

                try
                {
                    await Task.Delay(delay, options.Time, context.RequestAborted);
                }
                catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
                {
                    // The client gave up; nobody is left to answer.
                    return;
                }

                await next(context);
                return;
            case "ERROR":
                await OpenAiError.WriteAsync(context, StatusCodes.Status500InternalServerError, "Injected fault: internal error.", "server_error", null, "injected_fault");
                return;
            case "RESET":
                context.Abort();
                return;
            case "CHUNKED":
                context.Items[JsonResponse.ChunkedItem] = true;
                await next(context);
                return;
            case "GARBAGE":
                // Claims JSON on purpose: the gateway must not trust the content type alone.
                context.Response.StatusCode = StatusCodes.Status200OK;
                context.Response.ContentType = "application/json";
                await context.Response.WriteAsync("<html>upstream garbage {\"not\": json", context.RequestAborted);
                return;
            default:
                await PlainError.WriteAsync(context, StatusCodes.Status400BadRequest, $"Unknown {FaultHeader} '{fault}'; use slow, error, reset, garbage or chunked.");
                return;
        }
    }

    private bool TryReadDelay(HttpRequest request, out TimeSpan delay)
    {
        var header = request.Headers[DelayHeader].ToString();
        var milliseconds = options.DefaultSlowDelayMs;
        if (header.Length > 0
            && (!int.TryParse(header, NumberStyles.None, CultureInfo.InvariantCulture, out milliseconds) || milliseconds > MaxDelayMs))
        {
            delay = default;
            return false;
        }

        delay = TimeSpan.FromMilliseconds(milliseconds);
        return true;
    }
}
