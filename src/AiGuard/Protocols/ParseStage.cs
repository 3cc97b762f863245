using System.Buffers;
using System.Text.Json;
using AiGuard.Configuration;
using AiGuard.Pipeline;
using AiGuard.Protocols.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Net.Http.Headers;
using Yarp.ReverseProxy.Model;

namespace AiGuard.Protocols;

/// <summary>Reads the body within the route's limits and turns it into an <see cref="InferenceRequest"/>.</summary>
/// <remarks>
/// The body is buffered once here; the upstream receives exactly the bytes that were parsed and
/// checked, so nothing the guards did not see can reach the model.
/// </remarks>
public sealed class ParseStage
{
    private static readonly JsonDocumentOptions DocumentOptions = new()
    {
        // Duplicate keys let a client show the gateway one model and the upstream another.
        AllowDuplicateProperties = false,
        CommentHandling = JsonCommentHandling.Disallow,
        MaxDepth = 1001,
    };

    private readonly RoutePolicyProvider _policies;
    private readonly RefusalWriter _refusals;

    public ParseStage(RoutePolicyProvider policies, RefusalWriter refusals)
    {
        _policies = policies;
        _refusals = refusals;
    }

    public async Task InvokeAsync(HttpContext context, Func<Task> next)
    {
        var decision = await ParseAsync(context);
        if (decision is not null)
        {
            await _refusals.RefuseAsync(context, decision);
            return;
        }

        await next();
    }

    private async Task<GuardDecision?> ParseAsync(HttpContext context)
    {
        var guard = GuardContext.For(context);
        var routeId = context.GetEndpoint()?.Metadata.GetMetadata<RouteModel>()?.Config.RouteId ?? string.Empty;
        guard.RouteId = routeId;
        if (!_policies.TryGet(routeId, out var policy))
        {
            return GuardDecision.Refuse(PipelineStage.Route, StatusCodes.Status503ServiceUnavailable, ProblemCodes.RoutePolicyMissing, "This route has no AiGuard policy configured.");
        }

        guard.RoutePolicy = policy;
        var path = context.Request.Path.Value ?? "/";
        if (policy.PathPrefix.Length > 0 && path.StartsWith(policy.PathPrefix, StringComparison.Ordinal))
        {
            path = path[policy.PathPrefix.Length..];
        }

        var operation = policy.Adapter.Match(context.Request.Method, path);
        if (operation is null)
        {
            return GuardDecision.Refuse(
                PipelineStage.Parse,
                StatusCodes.Status404NotFound,
                ProblemCodes.OperationNotSupported,
                $"{context.Request.Method} {path} is not an operation of the {policy.Adapter.Name} protocol that AiGuard can inspect.");
        }

        var (body, refusal) = await ReadBodyAsync(context, policy, operation.HasBody);
        if (refusal is not null)
        {
            return refusal;
        }

        try
        {
            if (!operation.HasBody)
            {
                guard.Request = policy.Adapter.ParseRequest(operation, null);
                return null;
            }

            var limits = JsonLimits.Check(body.Span, policy.MaxJsonDepth, policy.MaxJsonElements);
            if (limits is not null)
            {
                return limits;
            }

            using var document = JsonDocument.Parse(body, DocumentOptions);
            guard.Request = policy.Adapter.ParseRequest(operation, document.RootElement);
            return null;
        }
        catch (JsonException ex)
        {
            // Syntax was checked above, so what is left is a duplicate key.
            return GuardDecision.Refuse(PipelineStage.Parse, StatusCodes.Status400BadRequest, ProblemCodes.MalformedJson, DuplicateOrSyntax(ex));
        }
        catch (ProtocolViolationException ex)
        {
            return GuardDecision.Refuse(PipelineStage.Parse, StatusCodes.Status400BadRequest, ex.Code, ex.Message, ex.Field.Length > 0 ? ex.Field : null);
        }
    }

    private static async Task<(ReadOnlyMemory<byte> Body, GuardDecision? Refusal)> ReadBodyAsync(HttpContext context, RoutePolicy policy, bool expectsBody)
    {
        var request = context.Request;
        var declared = request.ContentLength;
        var mayHaveBody = declared > 0 || (declared is null && request.Headers.TransferEncoding.Count > 0);
        if (!expectsBody && !mayHaveBody)
        {
            return (ReadOnlyMemory<byte>.Empty, null);
        }

        if (!expectsBody)
        {
            return (default, GuardDecision.Refuse(PipelineStage.Parse, StatusCodes.Status400BadRequest, ProblemCodes.InvalidBody, "This operation takes no request body."));
        }

        if (!IsAllowedContentType(request.ContentType, policy.AllowedContentTypes))
        {
            return (default, GuardDecision.Refuse(
                PipelineStage.Parse,
                StatusCodes.Status415UnsupportedMediaType,
                ProblemCodes.UnsupportedMediaType,
                $"The body must be sent as {string.Join(" or ", policy.AllowedContentTypes)} (UTF-8)."));
        }

        if (declared > policy.MaxBodyBytes)
        {
            return (default, TooLarge(policy));
        }

        var sizeFeature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false })
        {
            // Our own limit decides (with a problem body); Kestrel's is only a backstop above it.
            sizeFeature.MaxRequestBodySize = policy.MaxBodyBytes + 1;
        }

        try
        {
            var body = declared is { } length
                ? await ReadExactlyAsync(request.Body, (int)length, context.RequestAborted)
                : await ReadChunkedAsync(request.Body, policy.MaxBodyBytes, context.RequestAborted);
            if (body is null)
            {
                return (default, TooLarge(policy));
            }

            request.Body = new MemoryStream(body, writable: false);
            request.ContentLength = body.Length;
            request.Headers.TransferEncoding = default;
            return (body, null);
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            // Kestrel's backstop fired first (it counts bytes before we see them).
            return (default, TooLarge(policy));
        }
        catch (BadHttpRequestException)
        {
            return (default, GuardDecision.Refuse(PipelineStage.Parse, StatusCodes.Status400BadRequest, ProblemCodes.InvalidBody, "The request body could not be read (bad framing)."));
        }
    }

    // A declared length (already checked against the limit) is read straight into one array.
    private static async Task<byte[]> ReadExactlyAsync(Stream body, int length, CancellationToken cancellationToken)
    {
        var buffer = new byte[length];
        await body.ReadExactlyAsync(buffer, cancellationToken);
        return buffer;
    }

    // A chunked body is counted while it arrives; null when it outgrows the limit.
    private static async Task<byte[]?> ReadChunkedAsync(Stream body, long maxBytes, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        while (true)
        {
            var read = await body.ReadAsync(buffer.GetMemory(8192), cancellationToken);
            if (read == 0)
            {
                return buffer.WrittenSpan.ToArray();
            }

            buffer.Advance(read);
            if (buffer.WrittenCount > maxBytes)
            {
                return null;
            }
        }
    }

    private static bool IsAllowedContentType(string? contentType, IReadOnlyList<string> allowed)
    {
        if (!MediaTypeHeaderValue.TryParse(contentType, out var parsed) || parsed.MediaType.Value is not { } mediaType)
        {
            return false;
        }

        if (parsed.Charset.HasValue && !parsed.Charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        foreach (var candidate in allowed)
        {
            if (string.Equals(candidate, mediaType, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    private static GuardDecision TooLarge(RoutePolicy policy) => GuardDecision.Refuse(
        PipelineStage.Limits,
        StatusCodes.Status413PayloadTooLarge,
        ProblemCodes.BodyTooLarge,
        $"The request body is larger than the limit of {policy.MaxBodyBytes} bytes.");

    private static string DuplicateOrSyntax(JsonException ex) =>
        ex.Message.Contains("duplicate", StringComparison.OrdinalIgnoreCase)
            ? "The JSON body repeats a property name; each property may appear once."
            : $"The body is not valid JSON (line {ex.LineNumber + 1}).";
}
