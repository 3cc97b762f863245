using System.Globalization;
using System.Xml;

namespace AiGuard.Admin;

/// <summary>Durations operators type: <c>90s</c>, <c>15m</c>, <c>2h</c>, <c>7d</c>, combined (<c>1h30m</c>), ISO 8601 (<c>PT15M</c>) or <c>hh:mm:ss</c>.</summary>
public static class AdminDuration
{
    /// <summary>The longest quarantine an operator can set at once.</summary>
    public static readonly TimeSpan Longest = TimeSpan.FromDays(365);

    /// <summary>Parses <paramref name="text"/>; on failure <paramref name="problem"/> says what is wrong.</summary>
    public static bool TryParse(string? text, out TimeSpan duration, out string problem)
    {
        duration = default;
        problem = string.Empty;
        var value = text?.Trim() ?? string.Empty;
        if (value.Length == 0)
        {
            problem = "A duration is required, for example 15m, 2h or 7d.";
            return false;
        }

        if (value.Length > 64 || !(TrySuffixed(value, out duration) || TryIso(value, out duration) || (value.Contains(':', StringComparison.Ordinal) && TimeSpan.TryParseExact(value, "c", CultureInfo.InvariantCulture, out duration))))
        {
            problem = $"'{Pipeline.Excerpt.Of(value, 64)}' is not a duration; write it as 90s, 15m, 2h, 7d, 1h30m, PT15M or 00:15:00.";
            return false;
        }

        if (duration <= TimeSpan.Zero)
        {
            problem = "The duration must be longer than zero.";
            return false;
        }

        if (duration > Longest)
        {
            problem = $"The duration must be at most {Longest.TotalDays.ToString(CultureInfo.InvariantCulture)} days.";
            return false;
        }

        return true;
    }

    /// <summary>Shows a duration the way it is typed (<c>1h30m</c>).</summary>
    public static string Format(TimeSpan duration)
    {
        if (duration <= TimeSpan.Zero)
        {
            return "0s";
        }

        var text = new System.Text.StringBuilder();
        if (duration.Days > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{duration.Days}d");
        }

        if (duration.Hours > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{duration.Hours}h");
        }

        if (duration.Minutes > 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{duration.Minutes}m");
        }

        if (duration.Seconds > 0 || text.Length == 0)
        {
            text.Append(CultureInfo.InvariantCulture, $"{Math.Max(duration.Seconds, 1)}s");
        }

        return text.ToString();
    }

    private static bool TrySuffixed(string value, out TimeSpan duration)
    {
        duration = TimeSpan.Zero;
        var i = 0;
        var any = false;
        var lastUnit = int.MaxValue;
        while (i < value.Length)
        {
            var start = i;
            while (i < value.Length && char.IsAsciiDigit(value[i]))
            {
                i++;
            }

            if (i == start || i == value.Length || i - start > 9)
            {
                return false;
            }

            var number = long.Parse(value.AsSpan(start, i - start), NumberStyles.None, CultureInfo.InvariantCulture);
            var (unit, rank) = char.ToLowerInvariant(value[i]) switch
            {
                'd' => (TimeSpan.FromDays(1), 3),
                'h' => (TimeSpan.FromHours(1), 2),
                'm' => (TimeSpan.FromMinutes(1), 1),
                's' => (TimeSpan.FromSeconds(1), 0),
                _ => (TimeSpan.Zero, -1),
            };
            if (rank < 0 || rank >= lastUnit)
            {
                return false;
            }

            lastUnit = rank;
            i++;
            if (number > Longest.Ticks / unit.Ticks)
            {
                duration = TimeSpan.MaxValue;
                return true;
            }

            duration += unit * number;
            any = true;
        }

        return any;
    }

    private static bool TryIso(string value, out TimeSpan duration)
    {
        duration = default;
        if (!value.StartsWith('P'))
        {
            return false;
        }

        try
        {
            duration = XmlConvert.ToTimeSpan(value);
            return true;
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            return false;
        }
    }
}
