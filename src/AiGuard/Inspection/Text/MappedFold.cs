using System.Text;

namespace AiGuard.Inspection.Text;

/// <summary>
/// The character fold of <see cref="TextNormalizer"/> (invisible and bidirectional controls
/// removed, tag characters read, fullwidth and other compatibility forms folded) with a map back
/// to the original text, for guards that must act on the original: a card number written in
/// fullwidth digits or with zero-width spaces between its digits is found in the folded copy and
/// redacted in the original, invisible characters and all.
/// </summary>
public sealed class MappedFold
{
    private readonly int[] _starts;
    private readonly int[] _ends;

    private MappedFold(string text, int[]? starts, int[]? ends, NormalizationFindings findings)
    {
        Text = text;
        _starts = starts ?? [];
        _ends = ends ?? [];
        Findings = findings;
    }

    /// <summary>The folded copy.</summary>
    public string Text { get; }

    /// <summary>How many characters were removed as invisible, read as tags, or folded.</summary>
    public NormalizationFindings Findings { get; }

    /// <summary>Whether a text needs folding at all (an ASCII text without control characters does not).</summary>
    public static bool Needed(string text)
    {
        foreach (var c in text)
        {
            if (c >= 0x7F || (c < 0x20 && c is not ('\t' or '\n' or '\r')))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The folded copy with its map back to <paramref name="text"/>.</summary>
    public static MappedFold Of(string text) => Fold(text, mapped: true);

    /// <summary>The folded copy only (no map), for a guard that reads it and acts on nothing in the original.</summary>
    internal static MappedFold Unmapped(string text) => Fold(text, mapped: false);

    private static MappedFold Fold(string text, bool mapped)
    {
        var builder = new StringBuilder(text.Length);
        var starts = mapped ? new List<int>(text.Length) : null;
        var ends = mapped ? new List<int>(text.Length) : null;
        int invisible = 0, tags = 0, compatibility = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var start = i;
            int codePoint = text[i];
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                codePoint = char.ConvertToUtf32(text[i], text[i + 1]);
                i++;
            }

            var end = i + 1;
            string? folded;
            if (UnicodeFold.TagCharacter(codePoint) is var tag and not '\0')
            {
                folded = tag.ToString();
                tags++;
            }
            else if (UnicodeFold.IsInvisible(codePoint))
            {
                invisible++;
                continue;
            }
            else if ((codePoint < 0x20 && codePoint is not ('\t' or '\n' or '\r')) || codePoint is >= 0x7F and < 0xA0)
            {
                // Control characters: a word boundary for the reader, nothing more.
                folded = " ";
                invisible++;
            }
            else if (UnicodeFold.Compatibility(codePoint) is { } compatible)
            {
                folded = compatible;
                compatibility += UnicodeFold.IsAccentedLatin(codePoint) ? 0 : 1;
            }
            else
            {
                builder.Append(text, start, end - start);
                Map(starts, ends, start, end, end - start);
                continue;
            }

            builder.Append(folded);
            Map(starts, ends, start, end, folded.Length);
        }

        var findings = new NormalizationFindings { Invisible = invisible, Tags = tags, Compatibility = compatibility };
        return new MappedFold(builder.ToString(), starts?.ToArray(), ends?.ToArray(), findings);
    }

    /// <summary>Each of <paramref name="count"/> folded characters comes from the original characters start to end.</summary>
    private static void Map(List<int>? starts, List<int>? ends, int start, int end, int count)
    {
        for (var k = 0; starts is not null && k < count; k++)
        {
            starts.Add(start);
            ends!.Add(end);
        }
    }

    /// <summary>The original span of a span of the folded copy: from the first source character to the last, with what lies between.</summary>
    public (int Start, int End) Original(int start, int end) => (_starts[start], _ends[end - 1]);
}
