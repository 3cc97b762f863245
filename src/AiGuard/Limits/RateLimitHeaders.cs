using AiGuard.Pipeline;
using Microsoft.AspNetCore.Http;

namespace AiGuard.Limits;

/// <summary>
/// The IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers): <c>RateLimit-Policy</c>
/// names each limit with its quota (<c>q</c>) and window in seconds (<c>w</c>), <c>RateLimit</c>
/// gives what remains (<c>r</c>) and the seconds until the quota is back (<c>t</c>), on every
/// response of a limited route, refusals included.
/// </summary>
/// <remarks>
/// On the hot path of every limited answer: the policy value is built once per route's set of
/// limits, the state value is formatted on the stack and allocated once.
/// </remarks>
public static class RateLimitHeaders
{
    public const string Policy = "RateLimit-Policy";
    public const string State = "RateLimit";

    /// <summary>The <c>RateLimit-Policy</c> value of the first <paramref name="count"/> limits of a route.</summary>
    public static string PolicyValue(RateLimit[] limits, int count) =>
        string.Join(", ", limits.Take(count).Select(l => l.PolicyHeaderItem));

    public static void Write(HttpResponse response, GuardContext guard)
    {
        var states = guard.RateLimits;
        if (states is null || states.Length == 0 || states[0].Limit is null)
        {
            return;
        }

        var counted = 0;
        var length = 0;
        while (counted < states.Length && states[counted].Limit is { } limit)
        {
            // Name, quotes, separators and two numbers of at most 20 digits each.
            length += limit.Name.Length + 60;
            counted++;
        }

        Span<char> buffer = length <= 512 ? stackalloc char[length] : new char[length];
        var written = 0;
        for (var i = 0; i < counted; i++)
        {
            var item = states[i];
            if (i > 0)
            {
                Append(buffer, ref written, ", ");
            }

            Append(buffer, ref written, "\"");
            Append(buffer, ref written, item.Limit.Name);
            Append(buffer, ref written, "\";r=");
            Math.Max(0, item.Remaining).TryFormat(buffer[written..], out var digits, provider: System.Globalization.CultureInfo.InvariantCulture);
            written += digits;
            if (!item.Limit.IsConcurrency)
            {
                Append(buffer, ref written, ";t=");
                item.ResetSeconds.TryFormat(buffer[written..], out digits, provider: System.Globalization.CultureInfo.InvariantCulture);
                written += digits;
            }
        }

        response.Headers[Policy] = counted == states.Length && guard.RateLimitPolicy is { } policy
            ? policy
            : PolicyValue([.. states.Take(counted).Select(s => s.Limit)], counted);
        response.Headers[State] = new string(buffer[..written]);
    }

    private static void Append(Span<char> buffer, ref int written, string text)
    {
        text.AsSpan().CopyTo(buffer[written..]);
        written += text.Length;
    }
}
