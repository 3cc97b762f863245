using System.Buffers;
using System.IO.Pipelines;
using AiGuard.Configuration;
using AiGuard.Pipeline;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace AiGuard.Protocols;

/// <summary>
/// A request body read whole before anything is decided, without taking it from the server:
/// the bytes stay in Kestrel's request pipe, examined but not consumed, so YARP forwards exactly
/// the bytes that were parsed and checked, through its normal streaming path.
/// </summary>
/// <remarks>
/// The adapter parses <see cref="Span"/> while the read is still open; <see cref="Release"/> then
/// hands the pipe back (nothing consumed) before the request is forwarded. A body that arrived in
/// several buffer segments is copied once into a pooled array for parsing.
/// </remarks>
public sealed class RequestBody : IDisposable
{
    /// <summary>
    /// What a refused request may still send beyond the limit that is read and dropped, so that
    /// its client receives the 413 (16 MiB: a few milliseconds on a local network).
    /// </summary>
    public const long DrainBytes = 16L * 1024 * 1024;

    private PipeReader? _reader;
    private readonly ReadOnlySequence<byte> _data;
    private byte[]? _copy;

    private RequestBody(PipeReader reader, ReadOnlySequence<byte> data)
    {
        _reader = reader;
        _data = data;
        if (!data.IsSingleSegment)
        {
            _copy = ArrayPool<byte>.Shared.Rent((int)data.Length);
            data.CopyTo(_copy);
        }
    }

    public int Length => (int)_data.Length;

    /// <summary>The whole body; valid until <see cref="Release"/>.</summary>
    public ReadOnlySpan<byte> Span => _copy is null ? _data.FirstSpan : _copy.AsSpan(0, Length);

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

    /// <summary>Reads the whole body within the policy's limits, leaving it in the request pipe for forwarding.</summary>
    /// <remarks>A body that has fully arrived (the usual case) is taken without any asynchronous step.</remarks>
    public static ValueTask<(Outcome Outcome, RequestBody? Body, GuardDecision Refusal)> ReadAsync(HttpContext context, RoutePolicy policy, bool expectsBody)
    {
        var request = context.Request;
        var declared = request.ContentLength;
        if (expectsBody && declared is > 0 && declared <= policy.MaxBodyBytes
            && ContentTypes.IsAllowed(request.ContentType, policy.AllowedContentTypes))
        {
            var reader = request.BodyReader;
            bool read;
            ReadResult result;
            try
            {
                read = reader.TryRead(out result);
            }
            catch (Exception ex) when (IsReadFailure(ex))
            {
                return ReadSlowAsync(context, policy, expectsBody);
            }

            if (read)
            {
                if (result.IsCompleted && result.Buffer.Length <= policy.MaxBodyBytes)
                {
                    return new((Outcome.Read, new RequestBody(reader, result.Buffer), default));
                }

                // Not all there yet: hand back what was examined and wait properly.
                reader.AdvanceTo(result.Buffer.Start);
            }
        }

        return ReadSlowAsync(context, policy, expectsBody);
    }

    private static async ValueTask<(Outcome Outcome, RequestBody? Body, GuardDecision Refusal)> ReadSlowAsync(HttpContext context, RoutePolicy policy, bool expectsBody)
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
            // Our own limit decides (with a problem body); Kestrel's is only a backstop above it,
            // DrainBytes higher: once a body is refused, Kestrel reads and drops what the client is
            // still sending before it ends the request, so the client receives the 413 rather than
            // a connection reset by the unread data (lingering close). Beyond that it closes.
            sizeFeature.MaxRequestBodySize = policy.MaxBodyBytes + DrainBytes;
        }

        var reader = request.BodyReader;
        try
        {
            while (true)
            {
                var result = await reader.ReadAsync(context.RequestAborted);
                var buffer = result.Buffer;
                if (buffer.Length > policy.MaxBodyBytes)
                {
                    reader.AdvanceTo(buffer.Start, buffer.End);
                    return TooLarge(policy);
                }

                if (result.IsCompleted)
                {
                    // Kept open: parsed first, then released unconsumed (see Release).
                    return (Outcome.Read, new RequestBody(reader, buffer), default);
                }

                // Everything examined, nothing consumed: the next read returns all of it plus what arrived.
                reader.AdvanceTo(buffer.Start, buffer.End);
            }
        }
        catch (Exception ex) when (IsReadFailure(ex))
        {
            if (context.RequestAborted.IsCancellationRequested)
            {
                return (Outcome.ClientGone, null, default);
            }

            return ex switch
            {
                BadHttpRequestException { StatusCode: StatusCodes.Status413PayloadTooLarge } => TooLarge(policy),
                BadHttpRequestException { StatusCode: StatusCodes.Status408RequestTimeout } => Refuse(
                    StatusCodes.Status408RequestTimeout, ProblemCodes.BodyReadTimeout, "The request body arrived too slowly."),
                _ => Refuse(StatusCodes.Status400BadRequest, ProblemCodes.InvalidBody, "The request body could not be read (bad framing or a body shorter than its Content-Length)."),
            };
        }
    }

    /// <summary>Hands the body back to the request pipe, unconsumed, for forwarding. Idempotent.</summary>
    public void Release()
    {
        if (_reader is { } reader)
        {
            _reader = null;
            reader.AdvanceTo(_data.Start, _data.End);
        }

        if (_copy is { } copy)
        {
            _copy = null;
            ArrayPool<byte>.Shared.Return(copy);
        }
    }

    public void Dispose() => Release();

    // Kestrel reports bad framing as BadHttpRequestException, a bad chunk size as IOException, a cut
    // connection as IOException or OperationCanceledException.
    private static bool IsReadFailure(Exception ex) => ex is BadHttpRequestException or IOException or OperationCanceledException;

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
