using System.Text;

namespace AiGuard.Inspection.Sensitive;

/// <summary>
/// The text of one streamed choice that is not passed on yet because it could still be, or be
/// the start of, an entity: the word being written, and digit groups a number may continue.
/// Everything before it is final and goes out at once, redacted.
/// </summary>
/// <remarks>
/// An entity split across events ("4111 1111" then " 1111 1111", "jo" then "hn@example.com") is
/// therefore seen whole before any of it leaves. Held back is only the trailing run of
/// non-blank characters (an e-mail, a token, a number is never broken by a blank), plus the
/// groups before it that a spaced number could be continuing ("+1 555 123 "). The detector
/// reads the last released characters too, for the words that give a phone number context.
/// </remarks>
public sealed class StreamHoldback
{
    /// <summary>Released characters kept as context for the next detection.</summary>
    public const int ContextChars = 64;

    /// <summary>The longest trailing run held back; a longer unbroken run is released from its head.</summary>
    public const int MaxRun = 512;

    /// <summary>The longest stretch of blank-separated number groups held back.</summary>
    public const int MaxGroups = 48;

    /// <summary>The longest a group of a spaced number can be ("4111", "(555)", "NWBK", "123-4567").</summary>
    private const int MaxGroupLength = 8;

    private readonly StringBuilder _pending = new();
    private string _context = string.Empty;

    /// <summary>Characters not passed on yet.</summary>
    public int PendingLength => _pending.Length;

    /// <summary>
    /// Adds a piece of the stream and returns what can be passed on now, with the entities the
    /// detector found in it; <paramref name="final"/> releases everything (the choice ended).
    /// </summary>
    /// <param name="find">The detector: entities of a text, in order, not overlapping.</param>
    public Release Push(string piece, bool final, Func<string, List<PiiMatch>> find)
    {
        _pending.Append(piece);
        if (_pending.Length == 0)
        {
            return new Release(string.Empty, []);
        }

        var window = _context + _pending.ToString();
        var offset = _context.Length;
        var hold = final ? window.Length : offset + HoldFrom(window.AsSpan(offset));
        var matches = find(window);
        List<PiiMatch>? released = null;
        foreach (var match in matches)
        {
            if (match.End <= offset)
            {
                // Already passed on (it was found and handled when it was released).
                continue;
            }

            if (match.End > hold && match.Start < hold)
            {
                // Not over yet: it may grow. Hold it back from its start.
                hold = Math.Max(offset, match.Start);
            }
        }

        foreach (var match in matches)
        {
            if (match.End > offset && match.End <= hold)
            {
                // A match reaching back into the context (not expected: its start would have been held) is redacted from the context on.
                var start = Math.Max(match.Start, offset);
                (released ??= []).Add(match with { Start = start - offset, Length = match.End - start });
            }
        }

        var text = window[offset..hold];
        _pending.Remove(0, hold - offset);
        return new Release(text, released ?? []);
    }

    /// <summary>Notes what was actually passed on (after redaction), as context for the next detection.</summary>
    public void Sent(string text)
    {
        var joined = _context + text;
        _context = joined.Length > ContextChars ? joined[^ContextChars..] : joined;
    }

    /// <summary>The longest private key block held back while its end line has not arrived.</summary>
    public const int MaxKeyBlock = 16 * 1024;

    /// <summary>Where the part of <paramref name="text"/> that could still grow into an entity begins.</summary>
    public static int HoldFrom(ReadOnlySpan<char> text)
    {
        // A private key block spans lines: from its BEGIN line until its END line has arrived whole.
        var begin = text.LastIndexOf("-----BEGIN", StringComparison.Ordinal);
        if (begin >= 0 && text.Length - begin <= MaxKeyBlock)
        {
            var block = text[begin..];
            var endLine = block.IndexOf("-----END", StringComparison.Ordinal);
            if (endLine < 0 || block[(endLine + 8)..].IndexOf("-----", StringComparison.Ordinal) < 0)
            {
                return begin;
            }
        }

        var end = text.Length;
        var start = end;
        while (start > 0 && !char.IsWhiteSpace(text[start - 1]) && end - start < MaxRun)
        {
            start--;
        }

        if (start > 0 && !char.IsWhiteSpace(text[start - 1]))
        {
            // An unbroken run longer than any entity: only its tail can still matter.
            return start;
        }

        if (!CouldContinueNumber(text[start..]))
        {
            return start;
        }

        // Groups of a spaced number before it ("4111 1111 ", "+44 20 7946 ", "GB29 NWBK "), one blank apart.
        var held = start;
        while (held >= 2 && IsGroupSeparator(text[held - 1]) && !char.IsWhiteSpace(text[held - 2]))
        {
            var groupEnd = held - 1;
            var groupStart = groupEnd;
            while (groupStart > 0 && !char.IsWhiteSpace(text[groupStart - 1]) && groupEnd - groupStart <= MaxGroupLength)
            {
                groupStart--;
            }

            if (!IsNumberGroup(text[groupStart..groupEnd]) || (groupStart > 0 && !char.IsWhiteSpace(text[groupStart - 1])) || end - groupStart > MaxGroups)
            {
                break;
            }

            held = groupStart;
        }

        return held;
    }

    /// <summary>Whether a trailing run (possibly empty: the text ends in a blank) could be the next group of a number.</summary>
    private static bool CouldContinueNumber(ReadOnlySpan<char> run) =>
        run.IsEmpty || (run.Length <= MaxGroupLength && IsNumberGroup(run)) || char.IsDigit(run[0]) || run[0] is '(' or '+' or '＋' or '（';

    /// <summary>One blank between groups (a space, a no-break or ideographic space), not a line break.</summary>
    private static bool IsGroupSeparator(char c) => char.IsWhiteSpace(c) && c is not ('\n' or '\r');

    /// <summary>A group of a spaced card, phone, IBAN or id: short, of digits, capitals and number punctuation.</summary>
    private static bool IsNumberGroup(ReadOnlySpan<char> group)
    {
        if (group.IsEmpty || group.Length > MaxGroupLength)
        {
            return false;
        }

        var digits = 0;
        foreach (var c in group)
        {
            if (char.IsDigit(c))
            {
                digits++;
            }
            else if (!char.IsUpper(c) && c is not ('(' or ')' or '+' or '-' or '.' or '/') && !IsInvisible(c))
            {
                return false;
            }
        }

        // Capitals alone only as an IBAN's group of four ("NWBK") or its country ("GB").
        return digits > 0 || group.Length <= 4;
    }

    /// <summary>Format characters (zero-width spaces and joiners) an adversary slips between digits.</summary>
    private static bool IsInvisible(char c) => char.GetUnicodeCategory(c) == System.Globalization.UnicodeCategory.Format;

    /// <summary>What can be passed on now and the entities in it (positions relative to <see cref="Text"/>).</summary>
    public readonly record struct Release(string Text, List<PiiMatch> Matches);
}
