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

    private MappedFold(string text, int[] starts, int[] ends)
    {
        Text = text;
        _starts = starts;
        _ends = ends;
    }

    /// <summary>The folded copy.</summary>
    public string Text { get; }

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

    public static MappedFold Of(string text)
    {
        var builder = new StringBuilder(text.Length);
        var starts = new List<int>(text.Length);
        var ends = new List<int>(text.Length);
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
            }
            else if (UnicodeFold.IsInvisible(codePoint))
            {
                continue;
            }
            else if ((codePoint < 0x20 && codePoint is not ('\t' or '\n' or '\r')) || codePoint is >= 0x7F and < 0xA0)
            {
                folded = " ";
            }
            else
            {
                folded = UnicodeFold.Compatibility(codePoint) ?? text[start..end];
            }

            foreach (var c in folded)
            {
                builder.Append(c);
                starts.Add(start);
                ends.Add(end);
            }
        }

        return new MappedFold(builder.ToString(), [.. starts], [.. ends]);
    }

    /// <summary>The original span of a span of the folded copy: from the first source character to the last, with what lies between.</summary>
    public (int Start, int End) Original(int start, int end) => (_starts[start], _ends[end - 1]);
}
