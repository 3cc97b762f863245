using System.Text;

namespace AiGuard.Pipeline;

/// <summary>Bounded, printable excerpts of client-controlled text for problem details and audit events.</summary>
/// <remarks>
/// A client decides how long a model name or a path is; echoing it whole would let one request
/// write megabytes into the audit trail or the answer, and control characters could forge log lines.
/// </remarks>
public static class Excerpt
{
    /// <summary>The default bound for names echoed in problem details.</summary>
    public const int DefaultLength = 64;

    /// <summary>At most <paramref name="maxLength"/> characters, control characters escaped, a marker when cut.</summary>
    public static string Of(string value, int maxLength = DefaultLength)
    {
        ArgumentNullException.ThrowIfNull(value);
        var needsWork = value.Length > maxLength;
        if (!needsWork)
        {
            foreach (var c in value)
            {
                if (char.IsControl(c) || char.IsSurrogate(c))
                {
                    needsWork = true;
                    break;
                }
            }

            if (!needsWork)
            {
                return value;
            }
        }

        var builder = new StringBuilder(Math.Min(value.Length, maxLength) + 24);
        var shown = 0;
        var i = 0;
        for (; i < value.Length && shown < maxLength; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < value.Length && char.IsLowSurrogate(value[i + 1]))
            {
                builder.Append(c).Append(value[++i]);
            }
            else if (char.IsControl(c) || char.IsSurrogate(c))
            {
                builder.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                builder.Append(c);
            }

            shown++;
        }

        if (i < value.Length)
        {
            builder.Append("…(").Append(value.Length.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append(" characters)");
        }

        return builder.ToString();
    }
}
