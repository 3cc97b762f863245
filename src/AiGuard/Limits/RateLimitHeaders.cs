using System.Globalization;
using System.Text;
using AiGuard.Pipeline;
using Microsoft.AspNetCore.Http;

namespace AiGuard.Limits;

/// <summary>
/// The IETF RateLimit header fields (draft-ietf-httpapi-ratelimit-headers): <c>RateLimit-Policy</c>
/// names each limit with its quota (<c>q</c>) and window in seconds (<c>w</c>), <c>RateLimit</c>
/// gives what remains (<c>r</c>) and the seconds until the quota is back (<c>t</c>), on every
/// response of a limited route, refusals included.
/// </summary>
public static class RateLimitHeaders
{
    public const string Policy = "RateLimit-Policy";
    public const string State = "RateLimit";

    public static void Write(HttpResponse response, GuardContext guard)
    {
        var states = guard.RateLimits;
        if (states is null || states.Length == 0 || states[0].Limit is null)
        {
            return;
        }

        var policy = new StringBuilder(64);
        var state = new StringBuilder(48);
        foreach (var item in states)
        {
            if (item.Limit is null)
            {
                // Limits after a refusing one were not counted.
                break;
            }

            if (policy.Length > 0)
            {
                policy.Append(", ");
                state.Append(", ");
            }

            policy.Append(item.Limit.PolicyHeaderItem);
            state.Append('"').Append(item.Limit.Name).Append("\";r=").Append(Math.Max(0, item.Remaining).ToString(CultureInfo.InvariantCulture));
            if (!item.Limit.IsConcurrency)
            {
                state.Append(";t=").Append(item.ResetSeconds.ToString(CultureInfo.InvariantCulture));
            }
        }

        response.Headers[Policy] = policy.ToString();
        response.Headers[State] = state.ToString();
    }
}
