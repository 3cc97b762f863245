using System.Buffers;
using AiGuard.Configuration;
using AiGuard.Pipeline;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace AiGuard.Protocols;

/// <summary>A request body read once into a pooled buffer; what is parsed is exactly what is forwarded.</summary>
public sealed class RequestBody : IDisposable
{
    private byte[]? _buffer;

    private RequestBody(byte[] buffer, int length)
    {
        _buffer = buffer;
        Length = length;
    }

    public int Length { get; }

    public ReadOnlySpan<byte> Span => _buffer.AsSpan(0, Length);

    /// <summary>The outcome of reading a body.</summary>
    public enum Outcome
    {
        /// <summary>Read (or legitimately absent).</summary>
        Read,

        /// <summary>Refused: the decision says why.</summary>
        Refused,

        /// <summary>The client went away while sending; there is nobody to answer.</summary>
        ClientGone,
    }

    /// <summary>Reads the body within the policy's limits and puts a stream over the buffer in its place for forwarding.</summary>
    public static async ValueTask<(Outcome Outcome, RequestBody? Body, GuardDecision Refusal)> ReadAsync(HttpContext context, RoutePolicy policy, bool expectsBody)
    {
        var request = context.Request;
        var declared = request.ContentLength;
        var mayHaveBody = declared > 0 || (declared is null && request.Headers.TransferEncoding.Count > 0);
        if (!mayHaveBody)
        {
            return (Outcome.Read, null, default);
        }

        if (!expectsBody)
        {
            return Refuse(StatusCodes.Status400BadRequest, ProblemCodes.InvalidBody, "This operation takes no request body.");
        }

        if (!ContentTypes.IsAllowed(request.ContentType, policy.AllowedContentTypes))
        {
            return Refuse(StatusCodes.Status415UnsupportedMediaType, ProblemCodes.UnsupportedMediaType, $"The body must be sent as {string.Join(" or ", policy.AllowedContentTypes)} (UTF-8).");
        }

        if (declared > policy.MaxBodyBytes)
        {
            return TooLarge(policy);
        }

        var sizeFeature = context.Features.Get<IHttpMaxRequestBodySizeFeature>();
        if (sizeFeature is { IsReadOnly: false })
        {
            // Our own limit decides (with a problem body); Kestrel's is only a backstop above it.
            sizeFeature.MaxRequestBodySize = policy.MaxBodyBytes + 1;
        }

        byte[]? buffer = null;
        try
        {
            int length;
            if (declared is { } exact)
            {
                length = (int)exact;
                buffer = ArrayPool<byte>.Shared.Rent(length);
                await request.Body.ReadExactlyAsync(buffer.AsMemory(0, length), context.RequestAborted);
            }
            else
            {
                (buffer, length) = await ReadChunkedAsync(request.Body, policy.MaxBodyBytes, context.RequestAborted);
                if (length < 0)
                {
                    ArrayPool<byte>.Shared.Return(buffer);
                    return TooLarge(policy);
                }
            }

            request.Body = new MemoryStream(buffer, 0, length, writable: false);
            request.ContentLength = length;
            request.Headers.TransferEncoding = default;
            return (Outcome.Read, new RequestBody(buffer, length), default);
        }
        catch (Exception ex) when (IsReadFailure(ex))
        {
            if (buffer is not null)
            {
                ArrayPool<byte>.Shared.Return(buffer);
            }

            if (context.RequestAborted.IsCancellationRequested)
            {
                return (Outcome.ClientGone, null, default);
            }

            return ex switch
            {
                BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => TooLarge(policy),
                BadHttpRequestException { StatusCode: StatusCodes.Status408RequestTimeout } => Refuse(
                    StatusCodes.Status408RequestTimeout, ProblemCodes.BodyReadTimeout, "The request body arrived too slowly."),
                EndOfStreamException => Refuse(
                    StatusCodes.Status400BadRequest, ProblemCodes.InvalidBody, "The request body ended before the length its Content-Length promised."),
                _ => Refuse(StatusCodes.Status400BadRequest, ProblemCodes.InvalidBody, "The request body could not be read (bad framing)."),
            };
        }
    }

    public void Dispose()
    {
        if (_buffer is { } buffer)
        {
            _buffer = null;
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    // Kestrel reports bad framing as BadHttpRequestException, a bad chunk size as IOException, a cut
    // connection as IOException or OperationCanceledException.
    private static bool IsReadFailure(Exception ex) => ex is BadHttpRequestException or IOException or OperationCanceledException;

    // A chunked body is counted while it arrives; length -1 when it outgrows the limit.
    private static async ValueTask<(byte[] Buffer, int Length)> ReadChunkedAsync(Stream body, long maxBytes, CancellationToken cancellationToken)
    {
        var buffer = ArrayPool<byte>.Shared.Rent(4096);
        var length = 0;
        try
        {
            while (true)
            {
                if (length == buffer.Length)
                {
                    var larger = ArrayPool<byte>.Shared.Rent(buffer.Length * 2);
                    buffer.AsSpan(0, length).CopyTo(larger);
                    ArrayPool<byte>.Shared.Return(buffer);
                    buffer = larger;
                }

                var read = await body.ReadAsync(buffer.AsMemory(length), cancellationToken);
                if (read == 0)
                {
                    return (buffer, length);
                }

                length += read;
                if (length > maxBytes)
                {
                    return (buffer, -1);
                }
            }
        }
        catch
        {
            ArrayPool<byte>.Shared.Return(buffer);
            throw;
        }
    }

    private static (Outcome, RequestBody?, GuardDecision) Refuse(int status, string code, string detail) =>
        (Outcome.Refused, null, GuardDecision.Refuse(status, code, detail));

    private static (Outcome, RequestBody?, GuardDecision) TooLarge(RoutePolicy policy) =>
        Refuse(StatusCodes.Status413PayloadTooLarge, ProblemCodes.BodyTooLarge, $"The request body is larger than the limit of {policy.MaxBodyBytes} bytes.");
}

/// <summary>Content-type checks without allocating: the media type must be allowed and the charset, if any, UTF-8.</summary>
public static class ContentTypes
{
    public static bool IsAllowed(string? contentType, IReadOnlyList<string> allowed)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return false;
        }

        var value = contentType.AsSpan();
        var semicolon = value.IndexOf(';');
        var mediaType = (semicolon < 0 ? value : value[..semicolon]).Trim();
        var parameters = semicolon < 0 ? [] : value[(semicolon + 1)..];
        foreach (var range in parameters.Split(';'))
        {
            var parameter = parameters[range].Trim();
            var equals = parameter.IndexOf('=');
            if (equals <= 0)
            {
                if (parameter.Length == 0)
                {
                    continue;
                }

                return false;
            }

            if (parameter[..equals].Trim().Equals("charset", StringComparison.OrdinalIgnoreCase)
                && !parameter[(equals + 1)..].Trim().Trim('"').Equals("utf-8", StringComparison.OrdinalIgnoreCase))
            {
                return false;
            }
        }

        foreach (var candidate in allowed)
        {
            if (mediaType.Equals(candidate, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether a response content type is JSON (<c>application/json</c> or <c>+json</c>).</summary>
    public static bool IsJson(string? contentType)
    {
        if (string.IsNullOrEmpty(contentType))
        {
            return false;
        }

        var mediaType = contentType.AsSpan();
        var semicolon = mediaType.IndexOf(';');
        mediaType = (semicolon < 0 ? mediaType : mediaType[..semicolon]).Trim();
        return mediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase)
            || mediaType.EndsWith("+json", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Whether a response content type is a server-sent event stream.</summary>
    public static bool IsEventStream(string? contentType) =>
        contentType is not null && contentType.AsSpan().TrimStart().StartsWith("text/event-stream", StringComparison.OrdinalIgnoreCase);
}
