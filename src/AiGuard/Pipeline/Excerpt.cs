using System.Text;
using AiGuard.Inspection.Sensitive;

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
        return Show(value, maxLength, value.Length, cut: false);
    }

    /// <summary>The excerpt of <paramref name="value"/>, which stands for a text of <paramref name="totalLength"/> characters (already <paramref name="cut"/> short or not).</summary>
    private static string Show(string value, int maxLength, int totalLength, bool cut)
    {
        var needsWork = value.Length > maxLength || cut;
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

        if (i < value.Length || cut)
        {
            builder.Append("…(").Append(totalLength.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append(" characters)");
        }

        return builder.ToString();
    }

    /// <summary>
    /// <see cref="Of"/> for client text the gateway echoes (a model name, a path, an input name):
    /// personal data and secrets the detectors find are first replaced by their placeholders
    /// (<c>[CREDIT_CARD]</c>, <c>[SECRET]</c>), so a card number sent as a model name is neither
    /// repeated in the answer nor written to the audit trail.
    /// </summary>
    public static string Scrubbed(string value, int maxLength = DefaultLength)
    {
        ArgumentNullException.ThrowIfNull(value);

        // What can be shown, and enough after it that an entity the cut would split is still seen whole.
        var truncated = value.Length > maxLength + ScrubMargin;
        var text = truncated ? value[..(maxLength + ScrubMargin)] : value;
        try
        {
            text = Replace(text, Scrubbers.Secrets.Find(text).Select(m => (m.Start, m.Length, PiiType.Secret)));
            text = Replace(text, Scrubbers.Pii.Find(text).Select(m => (m.Start, m.Length, m.Type)));
        }
        catch (Exception e) when (e is TextTooDenseException or SecretTextTooDenseException)
        {
            return SensitiveDataPolicy.Placeholder(PiiType.Secret);
        }

        return Show(text, maxLength, value.Length, cut: truncated);
    }

    /// <summary>Characters inspected past the shown ones.</summary>
    private const int ScrubMargin = 64;

    /// <summary>The text with each span replaced by its type's placeholder.</summary>
    private static string Replace(string text, IEnumerable<(int Start, int Length, PiiType Type)> matches)
    {
        StringBuilder? result = null;
        var position = 0;
        foreach (var (start, length, type) in matches.OrderBy(m => m.Start))
        {
            if (start < position)
            {
                continue;
            }

            result ??= new StringBuilder(text.Length);
            result.Append(text, position, start - position).Append(SensitiveDataPolicy.Placeholder(type));
            position = start + length;
        }

        return result is null ? text : result.Append(text, position, text.Length - position).ToString();
    }

    /// <summary>The detectors behind <see cref="Scrubbed"/>, built on first use (both are safe to share between threads).</summary>
    private static class Scrubbers
    {
        public static readonly PiiDetector Pii = new();

        public static readonly SecretDetector Secrets = new();
    }
}
