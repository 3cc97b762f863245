namespace DemoModel.OpenAi;

/// <summary>
/// A deterministic stand-in for a BPE tokenizer: a token is a run of letters or digits, or one other
/// character, carrying the whitespace before it. Concatenating the tokens gives back the text exactly,
/// which is what lets streamed deltas reassemble the non-streamed content.
/// </summary>
internal static class DemoTokenizer
{
    public static List<string> Tokenize(string text)
    {
        var tokens = new List<string>();
        var start = 0;
        while (start < text.Length)
        {
            var end = NextTokenEnd(text, start);
            tokens.Add(text[start..end]);
            start = end;
        }

        return tokens;
    }

    public static int Count(string text)
    {
        var count = 0;
        var start = 0;
        while (start < text.Length)
        {
            start = NextTokenEnd(text, start);
            count++;
        }

        return count;
    }

    private static int NextTokenEnd(string text, int start)
    {
        var i = start;
        while (i < text.Length && char.IsWhiteSpace(text[i]))
        {
            i++;
        }

        if (i == text.Length)
        {
            return i;
        }

        if (char.IsLetterOrDigit(text[i]))
        {
            while (i < text.Length && char.IsLetterOrDigit(text[i]))
            {
                i++;
            }
        }
        else
        {
            i += char.IsSurrogatePair(text, i) ? 2 : 1;
        }

        // Trailing whitespace belongs to the last token rather than forming a token of its own.
        var rest = i;
        while (rest < text.Length && char.IsWhiteSpace(text[rest]))
        {
            rest++;
        }

        return rest == text.Length ? rest : i;
    }
}
