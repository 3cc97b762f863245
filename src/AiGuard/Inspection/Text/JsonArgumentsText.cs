using System.Globalization;
using System.Text;

namespace AiGuard.Inspection.Text;

/// <summary>
/// The text of a tool call's arguments as the tool will read it. Arguments are a JSON document in
/// a string; a value written with escapes (<c>"\u0034111 1111 1111 1111"</c>, <c>"bob\u0040example.com"</c>)
/// reads as plain text to the tool but hides from a guard that reads the escapes. So the
/// <c>\uXXXX</c> and <c>\/</c> escapes of characters that JSON lets stand for themselves are
/// resolved in place: the document means the same (a string's value is unchanged, and nothing
/// else is touched, numbers and key order included), is still valid JSON, and is what is inspected
/// and, when redacted, written back. Escapes JSON requires (quotes, backslashes, control
/// characters) and lone surrogates stay escaped.
/// </summary>
public static class JsonArgumentsText
{
    /// <summary>
    /// Arguments as inspected: <see cref="Decoded"/> (what is redacted and written back) and its
    /// <see cref="Scanned"/> copy (what detectors read; same length, same positions).
    /// </summary>
    public static (string Decoded, string Scanned) Read(string arguments)
    {
        var decoded = Decoded(arguments);
        return (decoded, Scanned(decoded));
    }

    /// <summary>Arguments with their optional escapes resolved; the same instance when there is nothing to resolve.</summary>
    public static string Decoded(string arguments)
    {
        ArgumentNullException.ThrowIfNull(arguments);
        var first = arguments.IndexOf('\\', StringComparison.Ordinal);
        if (first < 0)
        {
            return arguments;
        }

        StringBuilder? decoded = null;
        var copied = 0;
        for (var i = first; i < arguments.Length; i++)
        {
            if (arguments[i] != '\\')
            {
                continue;
            }

            // A backslash starts an escape; the character after it is part of that escape.
            if (i + 1 >= arguments.Length)
            {
                break;
            }

            var next = arguments[i + 1];
            string? replacement = null;
            var length = 2;
            if (next == '/')
            {
                replacement = "/";
            }
            else if (next == 'u' && Hex(arguments, i + 2) is { } unit)
            {
                length = 6;
                if (char.IsHighSurrogate(unit) && i + 11 < arguments.Length && arguments[i + 6] == '\\' && arguments[i + 7] == 'u'
                    && Hex(arguments, i + 8) is { } low && char.IsLowSurrogate(low))
                {
                    replacement = new string([unit, low]);
                    length = 12;
                }
                else if (!char.IsSurrogate(unit) && unit >= 0x20 && unit is not '"' and not '\\' and not '\u2028' and not '\u2029')
                {
                    replacement = unit.ToString();
                }
            }

            if (replacement is not null)
            {
                decoded ??= new StringBuilder(arguments.Length);
                decoded.Append(arguments, copied, i - copied).Append(replacement);
                copied = i + length;
            }

            i += length - 1;
        }

        return decoded is null ? arguments : decoded.Append(arguments, copied, arguments.Length - copied).ToString();
    }

    /// <summary>
    /// What a detector reads of decoded arguments: the escapes that stay (a tab, a quote, a lone
    /// surrogate) become as many spaces, so a value glued to one (<c>"\u00094111 1111 1111 1111"</c>)
    /// is read on its own, and positions stay those of <paramref name="decoded"/> for redaction.
    /// </summary>
    public static string Scanned(string decoded)
    {
        ArgumentNullException.ThrowIfNull(decoded);
        var first = decoded.IndexOf('\\', StringComparison.Ordinal);
        if (first < 0)
        {
            return decoded;
        }

        var scanned = decoded.ToCharArray();
        for (var i = first; i < scanned.Length; i++)
        {
            if (decoded[i] != '\\')
            {
                continue;
            }

            var length = i + 1 < decoded.Length && decoded[i + 1] == 'u' && Hex(decoded, i + 2) is not null ? 6 : Math.Min(2, decoded.Length - i);
            scanned.AsSpan(i, length).Fill(' ');
            i += length - 1;
        }

        return new string(scanned);
    }

    /// <summary>The UTF-16 unit of four hex digits at <paramref name="at"/>, or null.</summary>
    private static char? Hex(string text, int at) =>
        at + 4 <= text.Length && ushort.TryParse(text.AsSpan(at, 4), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var unit)
            ? (char)unit
            : null;
}
