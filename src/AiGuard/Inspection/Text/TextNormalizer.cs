using System.Buffers;
using System.Text;

namespace AiGuard.Inspection.Text;

/// <summary>
/// Builds the copy of a text that guards inspect, so a guard sees what the model will read:
/// invisible and bidirectional controls removed, tag characters read as the ASCII they hide,
/// the Unicode compatibility fold (fullwidth, math alphanumerics, accents: <see cref="UnicodeFold"/>),
/// look-alike letters of other scripts and leetspeak inside words folded to ASCII letters, and
/// base64, hex and ROT13 spans that decode to text appended decoded. Never changes what is
/// forwarded. A plain ASCII text with nothing to fold is returned as the same instance.
/// </summary>
public static class TextNormalizer
{
    /// <summary>Shortest base64 run that is decoded (15 bytes of text).</summary>
    public const int MinBase64Length = 20;

    /// <summary>Fewest hex byte pairs (continuous, or separated by spaces, commas, <c>\x</c> or <c>0x</c>) that are decoded.</summary>
    public const int MinHexPairs = 8;

    /// <summary>At most this many spans are decoded per text: enough to show intent, bounded work.</summary>
    public const int MaxDecodedSpans = 8;

    /// <summary>The share of letters and spaces a decoded span needs to be read as text.</summary>
    public const double DefaultMinLetterShare = 0.6;

    // Common English words and the vocabulary of attacks; a line whose ROT13 form has clearly
    // more of them than the line itself is read as ROT13. Packed 5 bits a letter (<= 12 letters).
    private static readonly HashSet<ulong> Dictionary = BuildDictionary(
        "the be to of and a in that have i it for not on with he as you do at this but his by from they we say her she or an will my one all would " +
        "there their what so up out if about who get which go me when make can like time no just him know take people into year your good some " +
        "could them see other than then now look only come its over think also back after use two how our work first well way even new want " +
        "because any these give day most us is are was were been has had did said tell write please answer question help need should must " +
        "ignore previous instructions instruction prompt system rules secret password reveal print repeat above forget disregard everything " +
        "bomb weapon kill hack steal drugs money bank code text message following translate explain why where here there very more many much");

    /// <summary>The inspected copy of <paramref name="text"/> with every fold.</summary>
    public static NormalizedText Normalize(string text) => Normalize(text, TextFolds.All);

    /// <summary>The inspected copy of <paramref name="text"/> with the chosen folds.</summary>
    public static NormalizedText Normalize(string text, TextFolds folds)
    {
        ArgumentNullException.ThrowIfNull(text);
        var findings = default(NormalizationFindings);
        var current = text;
        if ((folds & TextFolds.Characters) != 0 && MappedFold.Needed(current))
        {
            current = FoldCharacters(current, ref findings);
        }

        // Base64 and hex are read before the word folds (they would change the digits); ROT13
        // after them, so leetspeak is not taken for a cipher.
        if ((folds & TextFolds.Decode) != 0)
        {
            current = AppendDecoded(current, ref findings);
        }

        if ((folds & (TextFolds.Homoglyphs | TextFolds.Leetspeak)) != 0)
        {
            current = FoldWords(current, folds, ref findings);
        }

        if ((folds & TextFolds.Decode) != 0)
        {
            List<string>? rot13 = null;
            var lines = Rot13Lines(current, ref rot13);
            if (rot13 is not null)
            {
                findings = findings with { Rot13 = lines };
                current = Append(current, rot13);
            }
        }

        return new NormalizedText(current, findings);
    }

    private static string FoldCharacters(string text, ref NormalizationFindings findings)
    {
        var fold = MappedFold.Unmapped(text);
        findings = findings with { Invisible = fold.Findings.Invisible, Tags = fold.Findings.Tags, Compatibility = fold.Findings.Compatibility };
        return fold.Text;
    }

    /// <summary>Appends, after a line break, what base64 and hex spans decode to, when it is text.</summary>
    private static string AppendDecoded(string text, ref NormalizationFindings findings)
    {
        var spans = EncodedSpans(text);
        if (spans is null)
        {
            return text;
        }

        findings = findings with { Base64 = spans.Count(s => !s.Hex), Hex = spans.Count(s => s.Hex) };
        return Append(text, [.. spans.Select(s => s.Decoded)]);
    }

    /// <summary>
    /// The base64 and hex spans of a text that decode to text (at most <see cref="MaxDecodedSpans"/>),
    /// with where each one is, or null when there is none: what the model would read in them, for
    /// guards that must act on the encoded span itself (redact it whole).
    /// </summary>
    /// <param name="minLetterShare">
    /// The share of letters and spaces a decoded span needs to count as text (0.6 by default: prose
    /// a model would read); 0 takes any printable text, digits and punctuation included (what a
    /// guard looking for card numbers or keys inside encoded spans needs).
    /// </param>
    public static List<EncodedSpan>? EncodedSpans(string text, double minLetterShare = DefaultMinLetterShare)
    {
        ArgumentNullException.ThrowIfNull(text);
        List<EncodedSpan>? decoded = null;
        var span = text.AsSpan();
        var i = 0;
        while (i < span.Length && (decoded?.Count ?? 0) < MaxDecodedSpans)
        {
            var c = span[i];
            if (!IsBase64Char(c))
            {
                i++;
                continue;
            }

            // "\x49\x67..." and "0x49 0x67...": the pairs start after the prefix.
            if (c is 'x' or 'X' && i > 0 && span[i - 1] is '\\' or '0' && (i == 1 || !char.IsAsciiLetterOrDigit(span[i - 2]))
                && TryHex(span, i + 1, minLetterShare, out var prefixedEnd, out var prefixedText))
            {
                (decoded ??= []).Add(new EncodedSpan(i - 1, prefixedEnd, prefixedText, Hex: true));
                i = prefixedEnd;
                continue;
            }

            // A hex sequence (possibly separated) is tried before base64: hex digits are base64 characters too.
            if (IsHexDigit(c) && i + 1 < span.Length && IsHexDigit(span[i + 1]) && (i == 0 || !char.IsLetterOrDigit(span[i - 1]))
                && TryHex(span, i, minLetterShare, out var hexEnd, out var hexText))
            {
                (decoded ??= []).Add(new EncodedSpan(i, hexEnd, hexText, Hex: true));
                i = hexEnd;
                continue;
            }

            var start = i;
            while (i < span.Length && (IsBase64Char(span[i]) || span[i] is '-' or '_'))
            {
                i++;
            }

            var end = i;
            while (end < span.Length && span[end] == '=' && end - i < 2)
            {
                end++;
            }

            if (i - start >= MinBase64Length && TryBase64(span[start..i], minLetterShare, out var base64Text))
            {
                (decoded ??= []).Add(new EncodedSpan(start, end, base64Text, Hex: false));
            }

            i = end;
        }

        return decoded;
    }

    private static string Append(string text, List<string> parts)
    {
        var builder = new StringBuilder(text.Length + parts.Sum(d => d.Length + 1));
        builder.Append(text);
        foreach (var part in parts)
        {
            builder.Append('\n').Append(part);
        }

        return builder.ToString();
    }

    private static bool IsBase64Char(char c) => char.IsAsciiLetterOrDigit(c) || c is '+' or '/';

    private static bool IsHexDigit(char c) => char.IsAsciiHexDigit(c);

    private static bool TryHex(ReadOnlySpan<char> span, int start, double minLetterShare, out int end, out string text)
    {
        text = string.Empty;
        var count = HexPairs(span, start, out end, null);
        if (count < MinHexPairs)
        {
            return false;
        }

        var bytes = ArrayPool<byte>.Shared.Rent(count);
        try
        {
            HexPairs(span, start, out _, bytes);
            return TryText(bytes.AsSpan(0, count), minLetterShare, out text);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>
    /// Counts (and, given a destination, decodes) the hex byte pairs from <paramref name="start"/>:
    /// continuous, or separated by a space, comma or colon, by <c>\x</c> or by <c>0x</c>. A run
    /// that goes on as a word ("deadbeefs") counts as none.
    /// </summary>
    private static int HexPairs(ReadOnlySpan<char> span, int start, out int end, byte[]? destination)
    {
        var count = 0;
        var i = start;
        end = start;
        while (i + 1 < span.Length && IsHexDigit(span[i]) && IsHexDigit(span[i + 1]))
        {
            if (destination is not null)
            {
                destination[count] = (byte)((HexValue(span[i]) << 4) | HexValue(span[i + 1]));
            }

            count++;
            i += 2;
            end = i;
            var j = i;
            if (j < span.Length && span[j] is ' ' or ',' or ':')
            {
                j++;
                while (j < span.Length && span[j] == ' ')
                {
                    j++;
                }
            }

            if (j + 1 < span.Length && (span[j] == '\\' || span[j] == '0') && span[j + 1] is 'x' or 'X')
            {
                j += 2;
            }

            if (j != i && (j + 1 >= span.Length || !IsHexDigit(span[j]) || !IsHexDigit(span[j + 1])))
            {
                break;
            }

            i = j;
        }

        return end < span.Length && char.IsAsciiLetterOrDigit(span[end]) ? 0 : count;
    }

    private static int HexValue(char c) => c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;

    private static bool TryBase64(ReadOnlySpan<char> run, double minLetterShare, out string text)
    {
        text = string.Empty;
        if (run.Length % 4 == 1)
        {
            run = run[..^1];
        }

        var padded = ArrayPool<char>.Shared.Rent(run.Length + 3);
        var bytes = ArrayPool<byte>.Shared.Rent(run.Length);
        try
        {
            var length = 0;
            foreach (var c in run)
            {
                padded[length++] = c switch { '-' => '+', '_' => '/', _ => c };
            }

            while (length % 4 != 0)
            {
                padded[length++] = '=';
            }

            return Convert.TryFromBase64Chars(padded.AsSpan(0, length), bytes, out var written)
                && TryText(bytes.AsSpan(0, written), minLetterShare, out text);
        }
        finally
        {
            ArrayPool<char>.Shared.Return(padded);
            ArrayPool<byte>.Shared.Return(bytes);
        }
    }

    /// <summary>Valid UTF-8 that is mostly printable and has at least <paramref name="minLetterShare"/> letters and spaces: text a model would read.</summary>
    private static bool TryText(ReadOnlySpan<byte> bytes, double minLetterShare, out string text)
    {
        text = string.Empty;
        if (bytes.Length < 6 || !System.Text.Unicode.Utf8.IsValid(bytes))
        {
            return false;
        }

        var decoded = Encoding.UTF8.GetString(bytes);
        int printable = 0, letters = 0;
        foreach (var c in decoded)
        {
            if (char.IsLetter(c) || c == ' ')
            {
                letters++;
                printable++;
            }
            else if (!char.IsControl(c) || c is '\n' or '\r' or '\t')
            {
                printable++;
            }
        }

        if (printable < decoded.Length * 0.9 || letters < decoded.Length * minLetterShare)
        {
            return false;
        }

        text = decoded;
        return true;
    }

    /// <summary>Adds the ROT13 decoding of each line whose ROT13 form reads clearly more like words than the line; returns how many.</summary>
    private static int Rot13Lines(string text, ref List<string>? decoded)
    {
        var count = 0;
        int lineStart = 0, plain = 0, rotated = 0, words = 0;
        var i = 0;
        while (i <= text.Length)
        {
            if (i == text.Length || text[i] == '\n')
            {
                if (rotated >= 3 && rotated > 2 * plain && rotated * 4 >= words && (decoded?.Count ?? 0) < MaxDecodedSpans)
                {
                    (decoded ??= []).Add(Rot13(text.AsSpan(lineStart, i - lineStart)));
                    count++;
                }

                lineStart = i + 1;
                plain = rotated = words = 0;
                i++;
                continue;
            }

            if (!char.IsAsciiLetter(text[i]))
            {
                i++;
                continue;
            }

            var start = i;
            ulong key = 0, rotKey = 0;
            while (i < text.Length && char.IsAsciiLetter(text[i]))
            {
                if (i - start < 12)
                {
                    var letter = (text[i] | 0x20) - 'a';
                    key = (key << 5) | (uint)(letter + 1);
                    rotKey = (rotKey << 5) | (uint)(((letter + 13) % 26) + 1);
                }

                i++;
            }

            words++;
            if (i - start is < 2 or > 12)
            {
                continue;
            }

            plain += Dictionary.Contains(key) ? 1 : 0;
            rotated += Dictionary.Contains(rotKey) ? 1 : 0;
        }

        return count;
    }

    private static string Rot13(ReadOnlySpan<char> line)
    {
        return string.Create(line.Length, line.ToString(), static (destination, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                var c = source[i];
                destination[i] = c switch
                {
                    >= 'a' and <= 'z' => (char)('a' + ((c - 'a' + 13) % 26)),
                    >= 'A' and <= 'Z' => (char)('A' + ((c - 'A' + 13) % 26)),
                    _ => c,
                };
            }
        });
    }

    /// <summary>Folds look-alike letters and leetspeak inside words; returns the same instance when nothing changes.</summary>
    private static string FoldWords(string text, TextFolds folds, ref NormalizationFindings findings)
    {
        bool? latinText = null;
        char[]? buffer = null;
        int homoglyphs = 0, leet = 0, tokenEnd = 0;
        var tokenIsIdentifier = false;
        var i = 0;
        while (i < text.Length)
        {
            if (!IsWordChar(text[i]))
            {
                i++;
                continue;
            }

            var start = i;
            int ascii = 0, other = 0, lookalikes = 0, leetChars = 0;
            while (i < text.Length && IsWordChar(text[i]))
            {
                var c = text[i];
                if (char.IsAsciiLetter(c))
                {
                    ascii++;
                }
                else if (IsLeet(c))
                {
                    leetChars++;
                }
                else if (char.IsLetter(c))
                {
                    other++;
                    lookalikes += UnicodeFold.Homoglyph(c) != '\0' ? 1 : 0;
                }

                i++;
            }

            var foldLookalikes = (folds & TextFolds.Homoglyphs) != 0 && lookalikes > 0
                && (ascii > 0 || (lookalikes == other && i - start >= 2 && (latinText ??= IsMostlyLatin(text))));
            var letters = ascii + (foldLookalikes ? lookalikes : 0);
            // One digit at the end of a word is a version or a number ("sha1", "python3", "ipv4"), not leetspeak.
            var foldLeet = (folds & TextFolds.Leetspeak) != 0 && leetChars > 0 && letters >= 2 && leetChars <= letters + 1
                && !(leetChars == 1 && char.IsAsciiDigit(text[i - 1]));
            if (foldLeet)
            {
                // Only now (a candidate word is rare) is its whitespace-delimited token read: an
                // API key, hash, UUID or base64 id is not leetspeak, in any of its pieces. Each token
                // is read once, for its first candidate word (a long token of many candidate words,
                // "a@a.a@a....", would otherwise be read again for each: quadratic).
                if (start >= tokenEnd)
                {
                    tokenIsIdentifier = IsIdentifier(text, TokenStart(text, start), out tokenEnd, out _);
                }

                foldLeet = !tokenIsIdentifier;
            }
            if (!foldLookalikes && !foldLeet)
            {
                continue;
            }

            if (buffer is null)
            {
                buffer = text.ToCharArray();
            }

            for (var j = start; j < i; j++)
            {
                var c = text[j];
                if (foldLookalikes && UnicodeFold.Homoglyph(c) is var ascii2 and not '\0')
                {
                    buffer[j] = ascii2;
                    homoglyphs++;
                }
                else if (foldLeet && IsLeet(c) && LeetLetter(text, j, start, i) is var letter and not '\0')
                {
                    buffer[j] = letter;
                    leet++;
                }
            }
        }

        if (buffer is null || homoglyphs + leet == 0)
        {
            return text;
        }

        findings = findings with { Homoglyphs = homoglyphs, Leet = leet };
        return new string(buffer);
    }

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || c is '@' or '$';

    /// <summary>Longest word read as leetspeak: leet words are short words with digits for letters ("1n5truct10n5" has 12 characters).</summary>
    public const int MaxLeetWordLength = 15;

    private static int TokenStart(string text, int at)
    {
        while (at > 0 && !char.IsWhiteSpace(text[at - 1]))
        {
            at--;
        }

        return at;
    }

    /// <summary>
    /// Whether the whitespace-delimited token from <paramref name="start"/> reads as a random
    /// identifier (API key, hash, UUID, base64 or hex id) rather than leetspeak: one of its words
    /// is longer than <see cref="MaxLeetWordLength"/>, or it holds a digit that leetspeak does not
    /// use for a letter (2, 6, 8, 9), or its letters switch case at least four times (base64,
    /// random keys), or it is a long run of hex digits (hashes, UUIDs), or a long run of letters
    /// and digits with many distinct characters (at least three quarters of them differ).
    /// Reads the token once; called only for words that would otherwise be folded.
    /// </summary>
    private static bool IsIdentifier(ReadOnlySpan<char> text, int start, out int end, out int alnum)
    {
        int word = 0, longest = 0, switches = 0, letters = 0, digits = 0;
        alnum = 0;
        bool otherDigit = false, hexOnly = true;
        var previousLetterUpper = (bool?)null;
        ulong seenLow = 0, seenHigh = 0;
        var i = start;
        for (; i < text.Length && !char.IsWhiteSpace(text[i]); i++)
        {
            var c = text[i];
            if (!char.IsAsciiLetterOrDigit(c))
            {
                word = 0;
                continue;
            }

            alnum++;
            longest = Math.Max(longest, ++word);
            if (char.IsAsciiDigit(c))
            {
                digits++;
                otherDigit |= c is '2' or '6' or '8' or '9';
            }
            else
            {
                letters++;
                hexOnly &= char.IsAsciiHexDigit(c);
                var upper = char.IsAsciiLetterUpper(c);
                switches += previousLetterUpper is { } was && was != upper ? 1 : 0;
                previousLetterUpper = upper;
            }

            var bit = c - '0';
            if (bit < 64)
            {
                seenLow |= 1UL << bit;
            }
            else
            {
                seenHigh |= 1UL << (bit - 64);
            }
        }

        end = i;
        var distinct = System.Numerics.BitOperations.PopCount(seenLow) + System.Numerics.BitOperations.PopCount(seenHigh);
        return longest > MaxLeetWordLength
            || otherDigit
            || switches >= 4
            || (hexOnly && alnum >= 16 && digits > 0)
            || (alnum >= 12 && digits > 0 && letters > 0 && distinct * 4 >= alnum * 3);
    }

    private static bool IsLeet(char c) => c is '0' or '1' or '3' or '4' or '5' or '7' or '@' or '$';

    /// <summary>'@' and '$' only between two word characters ("p@ss", not "@user" or "$5").</summary>
    private static char LeetLetter(string text, int at, int wordStart, int wordEnd)
    {
        var c = text[at];
        if (c is '@' or '$' && (at == wordStart || at + 1 >= wordEnd))
        {
            return '\0';
        }

        return c switch
        {
            '0' => 'o',
            '1' => 'i',
            '3' => 'e',
            '4' => 'a',
            '5' => 's',
            '7' => 't',
            '@' => 'a',
            '$' => 's',
            _ => '\0',
        };
    }

    /// <summary>
    /// Whether the whitespace-delimited token at the start of <paramref name="text"/> is a random
    /// identifier of at least 16 letters and digits (an API key, hash, UUID, base64 id): the same
    /// test that keeps it from being read as leetspeak, for a token long enough that its characters
    /// would otherwise weigh in the injection model's features. <paramref name="length"/> is the
    /// token's length either way.
    /// </summary>
    public static bool IsLongIdentifier(ReadOnlySpan<char> text, out int length)
    {
        var identifier = IsIdentifier(text, 0, out length, out var alnum);
        return identifier && alnum >= 16 && text[..length].ContainsAnyInRange('0', '9') && ContainsAsciiLetter(text[..length]);
    }

    private static bool ContainsAsciiLetter(ReadOnlySpan<char> text) => text.ContainsAnyInRange('a', 'z') || text.ContainsAnyInRange('A', 'Z');

    private static bool IsMostlyLatin(string text)
    {
        int ascii = 0, other = 0;
        foreach (var c in text)
        {
            if (char.IsAsciiLetter(c))
            {
                ascii++;
            }
            else if (c >= 0x80 && char.IsLetter(c))
            {
                other++;
            }
        }

        return ascii > 2 * other;
    }

    /// <summary>Whether a lower-case ASCII word is one of the common English words (or attack words) the ROT13 check counts.</summary>
    public static bool IsCommonWord(ReadOnlySpan<char> lowerWord)
    {
        if (lowerWord.Length is 0 or > 12)
        {
            return false;
        }

        ulong key = 0;
        foreach (var c in lowerWord)
        {
            if (c is < 'a' or > 'z')
            {
                return false;
            }

            key = (key << 5) | (uint)(c - 'a' + 1);
        }

        return Dictionary.Contains(key);
    }

    private static HashSet<ulong> BuildDictionary(string words)
    {
        var set = new HashSet<ulong>();
        foreach (var word in words.Split(' ', StringSplitOptions.RemoveEmptyEntries))
        {
            ulong key = 0;
            foreach (var c in word)
            {
                key = (key << 5) | (uint)(c - 'a' + 1);
            }

            set.Add(key);
        }

        return set;
    }
}
