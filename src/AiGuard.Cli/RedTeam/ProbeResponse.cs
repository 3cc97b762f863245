using System.Text.Json;

namespace AiGuard.Cli.RedTeam;

/// <summary>
/// What came back for one request: the status, the headers a verdict needs, the body, and the
/// problem code when the answer is an RFC 9457 refusal; or, when nothing came back, why.
/// </summary>
internal sealed class ProbeResponse
{
    private ProbeResponse()
    {
    }

    /// <summary>0 when no answer arrived (<see cref="Failure"/> says why).</summary>
    public int Status { get; private init; }

    /// <summary>The transport failure (connection refused or dropped, timeout); null when an answer arrived.</summary>
    public string? Failure { get; private init; }

    public string Body { get; private init; } = "";

    public string? ContentType { get; private init; }

    /// <summary>The <c>code</c> of an <c>application/problem+json</c> answer; null otherwise.</summary>
    public string? ProblemCode { get; private init; }

    public TimeSpan? RetryAfter { get; private init; }

    /// <summary>The <c>RateLimit-Policy</c> header, when the route is limited.</summary>
    public string? RateLimitPolicy { get; private init; }

    public bool IsProblem => ContentType is not null && ContentType.StartsWith("application/problem+json", StringComparison.OrdinalIgnoreCase);

    /// <summary>A refusal as AiGuard answers one: problem+json with a code.</summary>
    public bool IsRefusal => IsProblem && ProblemCode is not null && Status is >= 400 and < 500;

    /// <summary>A crash from the client's point of view: a 5xx, or no answer at all.</summary>
    public bool IsFailure => Failure is not null || Status >= 500;

    /// <summary>A short description for the report: the status and code, or the failure.</summary>
    public string Describe() => Failure is not null
        ? Failure
        : ProblemCode is not null ? $"{Status} {ProblemCode}" : $"{Status} {(ContentType ?? "no content type").Split(';')[0]}";

    public static ProbeResponse Failed(string why) => new() { Failure = why };

    public static async Task<ProbeResponse> ReadAsync(HttpResponseMessage response, int maxBodyChars, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        if (body.Length > maxBodyChars)
        {
            body = body[..maxBodyChars];
        }

        var contentType = response.Content.Headers.ContentType?.ToString();
        string? code = null;
        if (contentType is not null && contentType.StartsWith("application/problem+json", StringComparison.OrdinalIgnoreCase))
        {
            code = ReadCode(body);
        }

        TimeSpan? retryAfter = response.Headers.RetryAfter switch
        {
            { Delta: { } delta } => delta,
            { Date: { } date } => date - DateTimeOffset.UtcNow,
            _ => null,
        };
        return new ProbeResponse
        {
            Status = (int)response.StatusCode,
            Body = body,
            ContentType = contentType,
            ProblemCode = code,
            RetryAfter = retryAfter,
            RateLimitPolicy = response.Headers.TryGetValues("RateLimit-Policy", out var values) ? string.Join(", ", values) : null,
        };
    }

    private static string? ReadCode(string body)
    {
        try
        {
            using var json = JsonDocument.Parse(body);
            return json.RootElement.ValueKind == JsonValueKind.Object
                   && json.RootElement.TryGetProperty("code", out var code)
                   && code.ValueKind == JsonValueKind.String
                ? code.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
