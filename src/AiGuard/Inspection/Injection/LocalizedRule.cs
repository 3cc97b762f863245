using System.Buffers;
using System.Collections.Frozen;
using System.Text;

namespace AiGuard.Inspection.Injection;

/// <summary>
/// A request recognized by word lists per language, for languages the word floors of
/// <see cref="InjectionFeatureVector"/> do not read (scripts without spaces, and languages whose
/// words they do not know): a sentence matches when it holds one of a language's nouns, one of its
/// asks within the table's reach of that noun (either side: many of these languages put the verb
/// last), one of its qualifiers within the same reach where the language has any, and none of its
/// blocking words. <see cref="PasswordRequests"/>, <see cref="OverrideRequests"/> and
/// <see cref="ExtractionRequests"/> are the tables; the feature pass reads them as one
/// (<see cref="Combine"/>).
/// </summary>
/// <remarks>
/// The text is the normalizer's output: Latin diacritics are folded ("mat khau", "sifre"), case is
/// not. Comparisons are ordinal (a word with letters that have case is listed lower, upper and
/// capitalized). How the nouns are found, and what a text without one costs:
/// <see cref="Matches"/>; only the sentence around a noun is read, at most
/// <see cref="MaxSentence"/> characters of it.
/// </remarks>
internal sealed class LocalizedRule
{
    private static readonly SearchValues<char> SentenceEnds = SearchValues.Create(".?!。？！؟।\n");

    private readonly Language[] _languages;

    /// <summary>The nouns outside ASCII in every spelling (whole-word mark, language index), by their first character.</summary>
    private readonly FrozenDictionary<char, (string Noun, bool Whole, int Language)[]> _nonAsciiNouns;

    /// <summary>
    /// Their first characters, five at a time: a search for up to five characters is vectorized
    /// (about 0.1 ns a character here), one for more of them outside ASCII is not (about 4 ns).
    /// </summary>
    private readonly SearchValues<char>[] _nonAsciiNounStarts;

    /// <summary>
    /// The ASCII nouns (Latin-script languages after folding), with where in the word the searched
    /// part starts: a noun written "peri|ntah" in the table is searched for as "ntah" and compared
    /// from four characters before, so that a start common in English ("per", "ins", "pat") does
    /// not stop the search at every English word.
    /// </summary>
    private readonly (string Noun, int Offset, bool Whole, int Language)[] _asciiNounList;

    /// <summary>The same entries by the first letter (lower case) of their searched part.</summary>
    private readonly FrozenDictionary<char, (string Noun, int Offset, bool Whole, int Language)[]> _asciiNounsByStart;

    /// <summary>
    /// The searched parts of the ASCII nouns, sixteen to a search: one search for fifty such words
    /// is about three times slower than three for sixteen each (the vectorized search has a few
    /// buckets; more words than it holds make it check most positions).
    /// </summary>
    private readonly Func<ReadOnlySpan<char>, int>[] _asciiSearches;

    /// <summary>The first letters of the searched parts of the ASCII nouns, both cases, five to a search: for text mostly in another script.</summary>
    private readonly Func<ReadOnlySpan<char>, int>[] _asciiLetterSearches;

    /// <summary>Per language (by index): the family bit it reports, its reach, and whether it passes over questions.</summary>
    private readonly (int Family, int Reach, bool SkipQuestions)[] _settings;

    /// <summary>Every family bit this rule can report.</summary>
    private readonly int _allFamilies;

    /// <param name="reach">How far (in characters) an ask or a qualifier may sit from the noun.</param>
    /// <param name="maxSentence">Sentences longer than this are read only up to it, around the noun.</param>
    /// <param name="skipQuestions">Whether a sentence ending in a question mark is passed over (it asks about the words rather than saying them).</param>
    /// <param name="languages">The languages' words.</param>
    public LocalizedRule(int reach, int maxSentence, bool skipQuestions, Language[] languages)
        : this(maxSentence, languages, [.. languages.Select(_ => (1, reach, skipQuestions))])
    {
    }

    private LocalizedRule(int maxSentence, Language[] languages, (int Family, int Reach, bool SkipQuestions)[] settings)
    {
        MaxSentence = maxSentence;
        _settings = settings;
        _allFamilies = settings.Aggregate(0, (all, setting) => all | setting.Family);
        _languages = languages;
        _nonAsciiNouns = languages
            .SelectMany((language, index) => language.Nouns.List.Select((noun, i) => (noun, language.Nouns.Whole[i], index)))
            .Where(entry => !Ascii.IsValid(entry.noun))
            .GroupBy(entry => entry.noun[0])
            .ToFrozenDictionary(group => group.Key, group => group.ToArray());
        _nonAsciiNounStarts = [.. _nonAsciiNouns.Keys.Order().Chunk(5).Select(chunk => SearchValues.Create(chunk))];
        _asciiNounList =
        [
            .. languages.SelectMany((language, index) => language.Nouns.Raw.Where(noun => Ascii.IsValid(noun)).Select(noun =>
            {
                var word = noun.TrimStart('=');
                return (word.Replace("|", string.Empty, StringComparison.Ordinal), Math.Max(0, word.IndexOf('|', StringComparison.Ordinal)), noun[0] == '=', index);
            })),
        ];
        _asciiSearches =
        [
            .. _asciiNounList.Select(entry => entry.Noun[entry.Offset..].ToLowerInvariant()).Distinct().Chunk(16)
                .Select(chunk => SearchValues.Create(chunk, StringComparison.OrdinalIgnoreCase))
                .Select(words => (Func<ReadOnlySpan<char>, int>)(rest => rest.IndexOfAny(words))),
        ];
        _asciiNounsByStart = _asciiNounList.GroupBy(entry => char.ToLowerInvariant(entry.Noun[entry.Offset])).ToFrozenDictionary(group => group.Key, group => group.ToArray());
        _asciiLetterSearches =
        [
            .. _asciiNounList.SelectMany(entry => new[] { char.ToLowerInvariant(entry.Noun[entry.Offset]), char.ToUpperInvariant(entry.Noun[entry.Offset]) })
                .Distinct().Order().Chunk(5).Select(chunk => SearchValues.Create(chunk))
                .Select(letters => (Func<ReadOnlySpan<char>, int>)(rest => rest.IndexOfAny(letters))),
        ];
    }

    /// <summary>
    /// One rule that reads the languages of several, so that a text is searched once for all their
    /// nouns: <see cref="Find"/> reports the rules that matched as bits (1 for the first, 2 for the
    /// second...). Each language keeps its rule's reach and question handling.
    /// </summary>
    public static LocalizedRule Combine(params LocalizedRule[] rules) => new(
        rules.Max(rule => rule.MaxSentence),
        [.. rules.SelectMany(rule => rule._languages)],
        [.. rules.SelectMany((rule, index) => rule._settings.Select(setting => (1 << index, setting.Reach, setting.SkipQuestions)))]);

    /// <summary>How a language's words meet their neighbours.</summary>
    public enum Boundary
    {
        /// <summary>Written without spaces (Chinese, Japanese, Thai, Arabic's multi-word entries): any substring.</summary>
        None,

        /// <summary>Words take endings (Korean, Hindi, Bengali, Russian, Turkish): a word starts the match.</summary>
        Start,

        /// <summary>Whole words (Vietnamese, Indonesian, Filipino).</summary>
        Both,
    }

    /// <summary>Sentences longer than this are read only around the noun, half of it on each side (a request is short; a document is not read whole).</summary>
    public int MaxSentence { get; }

    /// <summary>Whether a sentence of <paramref name="text"/> matches in one of the languages.</summary>
    /// <remarks>
    /// The nouns are found first, over the whole text. ASCII ones by one case-insensitive
    /// vectorized search, or, in a text mostly in another script (where that search is about 25
    /// times slower), by searches for their first letters. The others, only in a text with
    /// characters outside ASCII, by searches for their first characters, five to a search (one
    /// search for more characters outside ASCII, or for the words, is not vectorized), then a
    /// comparison where one is found. Only the sentence around a noun is read.
    /// </remarks>
    public bool Matches(ReadOnlySpan<char> text) => Find(text) != 0;

    /// <summary>The family bits of the languages in which a sentence of <paramref name="text"/> matches (0 when none; see <see cref="Combine"/>).</summary>
    public int Find(ReadOnlySpan<char> text)
    {
        var found = 0;
        var ascii = Ascii.IsValid(text);

        // The search for ASCII words is slow on text in another script (about 2.5 ns a character
        // against 0.1): there, their first letters are looked for instead, which such a text
        // seldom has.
        foreach (var search in ascii || !MostlyOutsideAscii(text) ? _asciiSearches : _asciiLetterSearches)
        {
            found = ScanAscii(text, search, found);
            if (found == _allFamilies)
            {
                return found;
            }
        }

        if (ascii)
        {
            return found;
        }

        foreach (var starts in _nonAsciiNounStarts)
        {
            for (var from = 0; from < text.Length;)
            {
                var next = text[from..].IndexOfAny(starts);
                if (next < 0)
                {
                    break;
                }

                var at = from + next;
                foreach (var (noun, whole, language) in _nonAsciiNouns[text[at]])
                {
                    if ((found & _settings[language].Family) == 0 && text[at..].StartsWith(noun, StringComparison.Ordinal) && Said(text, at, noun.Length, whole, language))
                    {
                        found |= _settings[language].Family;
                        if (found == _allFamilies)
                        {
                            return found;
                        }
                    }
                }

                from = at + 1;
            }
        }

        return found;
    }

    /// <summary><paramref name="found"/> with the families of the ASCII nouns found where <paramref name="search"/> stops.</summary>
    private int ScanAscii(ReadOnlySpan<char> text, Func<ReadOnlySpan<char>, int> search, int found)
    {
        for (var from = 0; from < text.Length && found != _allFamilies;)
        {
            var at = search(text[from..]);
            if (at < 0)
            {
                break;
            }

            found |= AsciiNounAt(text, from + at, found);
            from += at + 1;
        }

        return found;
    }

    /// <summary>The family bits of the ASCII nouns whose searched part starts at <paramref name="at"/> and that are asked for (families in <paramref name="found"/> are not read again).</summary>
    private int AsciiNounAt(ReadOnlySpan<char> text, int at, int found)
    {
        if (!_asciiNounsByStart.TryGetValue(char.ToLowerInvariant(text[at]), out var entries))
        {
            return 0;
        }

        var families = 0;
        foreach (var (noun, offset, whole, language) in entries)
        {
            var start = at - offset;
            var family = _settings[language].Family;
            if (((found | families) & family) == 0 && start >= 0 && text[start..].StartsWith(noun, StringComparison.OrdinalIgnoreCase) && Said(text, start, noun.Length, whole, language))
            {
                families |= family;
            }
        }

        return families;
    }

    /// <summary>Whether at least a quarter of 32 characters spread over the text are outside ASCII.</summary>
    private static bool MostlyOutsideAscii(ReadOnlySpan<char> text)
    {
        const int Samples = 32;
        var outside = 0;
        for (var i = 0; i < Samples; i++)
        {
            outside += text[(int)((long)i * text.Length / Samples)] > '\u007f' ? 1 : 0;
        }

        return outside * 4 >= Samples;
    }

    /// <summary>
    /// Whether the noun at <paramref name="at"/> is asked for: it meets its boundary, its sentence
    /// is read (not a question where those are passed over), an ask and a qualifier of its language
    /// sit within its reach, and no blocking word is in the sentence.
    /// </summary>
    private bool Said(ReadOnlySpan<char> text, int at, int length, bool whole, int index)
    {
        var language = _languages[index];
        var (_, reach, skipQuestions) = _settings[index];
        if (!Bounded(text, at, length, whole ? Boundary.Both : language.Boundary))
        {
            return false;
        }

        // The sentence keeps its end mark ("パスワードは？" asks with it); a long one is read only
        // around the noun, and looked for only that far.
        var lookFrom = Math.Max(0, at - (MaxSentence / 2));
        var start = lookFrom + text[lookFrom..at].LastIndexOfAny(SentenceEnds) + 1;
        var lookTo = Math.Min(text.Length, at + length + (MaxSentence / 2));
        var end = text[at..lookTo].IndexOfAny(SentenceEnds);
        end = end < 0 ? lookTo : at + end + 1;
        if (skipQuestions && text[end - 1] is '?' or '？' or '؟' && (language.Requests is null || !Any(text[start..end], language.Requests, language.Boundary)))
        {
            // "忽略之前的指令是什么意思？" asks about the phrase; it does not say it.
            // "你能忽略之前的所有指令吗？" is a request put politely, and is read.
            return false;
        }

        var near = text[Math.Max(start, at - reach)..Math.Min(end, at + length + reach)];
        return Any(near, language.Asks, language.Boundary)
            && (language.Qualifiers is null || Any(near, language.Qualifiers, language.Boundary))
            && !Any(text[start..end], language.Blocks, language.Boundary);
    }

    /// <summary>Whether any of <paramref name="words"/> is in <paramref name="text"/> with its boundary.</summary>
    private static bool Any(ReadOnlySpan<char> text, Words words, Boundary boundary)
    {
        if (words.Search is { } search)
        {
            // All ASCII: one search for the words.
            for (var from = 0; from < text.Length;)
            {
                var found = text[from..].IndexOfAny(search);
                if (found < 0)
                {
                    return false;
                }

                if (StartsAt(text, from + found, words, boundary))
                {
                    return true;
                }

                from += found + 1;
            }

            return false;
        }

        // Otherwise searches for their first characters, five at a time (see _nonAsciiNounStarts).
        foreach (var starts in words.FirstCharacters)
        {
            for (var from = 0; from < text.Length;)
            {
                var found = text[from..].IndexOfAny(starts);
                if (found < 0)
                {
                    break;
                }

                if (StartsAt(text, from + found, words, boundary))
                {
                    return true;
                }

                from += found + 1;
            }
        }

        return false;
    }

    /// <summary>Whether one of <paramref name="words"/> starts at <paramref name="at"/> with its boundary.</summary>
    private static bool StartsAt(ReadOnlySpan<char> text, int at, Words words, Boundary boundary)
    {
        var rest = text[at..];
        if (!words.ByFirstCharacter.TryGetValue(rest[0], out var indices))
        {
            return false;
        }

        foreach (var w in indices)
        {
            if (rest.StartsWith(words.List[w], StringComparison.Ordinal) && Bounded(text, at, words.List[w].Length, words.Whole[w] ? Boundary.Both : boundary))
            {
                return true;
            }
        }

        return false;
    }

    private static bool Bounded(ReadOnlySpan<char> text, int at, int length, Boundary boundary)
    {
        if (boundary == Boundary.None)
        {
            return true;
        }

        var startsWord = at == 0 || !IsWordChar(text[at - 1]);
        var endsWord = at + length >= text.Length || !IsWordChar(text[at + length]);
        return startsWord && (boundary == Boundary.Start || endsWord);
    }

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || char.GetUnicodeCategory(c) is System.Globalization.UnicodeCategory.NonSpacingMark or System.Globalization.UnicodeCategory.SpacingCombiningMark;

    /// <summary>
    /// One language's words. A word written with a leading '=' must match as a whole word whatever
    /// the language's <see cref="Boundary"/> (short words that are also parts of others: Bengali
    /// "না", Arabic "لا", Russian "как").
    /// </summary>
    public sealed class Language(string code, Boundary boundary, string[] nouns, string[] asks, string[] blocks, string[]? qualifiers = null, string[]? requests = null)
    {
        public string Code { get; } = code;

        public Boundary Boundary { get; } = boundary;

        public Words Nouns { get; } = new(nouns);

        /// <summary>The verbs or question words that make the sentence a request about the noun.</summary>
        public Words Asks { get; } = new(asks);

        /// <summary>Words that make it something else (the speaker's own, a how-to, a negation): none may be in the sentence.</summary>
        public Words Blocks { get; } = new(blocks);

        /// <summary>Words of which one must also sit near the noun ("previous", "above", "all"), or null.</summary>
        public Words? Qualifiers { get; } = qualifiers is null ? null : new(qualifiers);

        /// <summary>
        /// In a rule that passes over questions, the words that make a question a request put
        /// politely ("你能...吗", "bisakah kamu", "pwede mo bang"), which is read; or null.
        /// </summary>
        public Words? Requests { get; } = requests is null ? null : new(requests);
    }

    /// <summary>
    /// A list of words and a vectorized search for them. Compared ordinally; a word with letters
    /// that have case is listed as people type it: lower, upper and capitalized ("пароль",
    /// "ПАРОЛЬ", "Пароль"; "wifi", "WIFI", "Wifi", "WiFi", "Wi-Fi").
    /// </summary>
    public sealed class Words
    {
        public Words(string[] words)
        {
            Raw = words;
            var spelled = words.SelectMany(Spellings).Distinct().ToArray();
            List = [.. spelled.Select(word => word.TrimStart('=').Replace("|", string.Empty, StringComparison.Ordinal))];
            Whole = [.. spelled.Select(word => word[0] == '=')];
            ByFirstCharacter = Enumerable.Range(0, List.Length).GroupBy(i => List[i][0]).ToFrozenDictionary(group => group.Key, group => group.ToArray());
            FirstCharacters = [.. ByFirstCharacter.Keys.Order().Chunk(5).Select(chunk => SearchValues.Create(chunk))];
            Search = List.All(word => Ascii.IsValid(word)) ? SearchValues.Create(List.Distinct().ToArray(), StringComparison.Ordinal) : null;
        }

        /// <summary>The words as written in the table, '|' and '=' marks included.</summary>
        public string[] Raw { get; }

        public string[] List { get; }

        public bool[] Whole { get; }

        /// <summary>The indices in <see cref="List"/> of the words each first character starts.</summary>
        public FrozenDictionary<char, int[]> ByFirstCharacter { get; }

        /// <summary>The first characters, five to a search (vectorized; more characters outside ASCII are not).</summary>
        public SearchValues<char>[] FirstCharacters { get; }

        /// <summary>One search for the words when they are all ASCII, else null.</summary>
        public SearchValues<string>? Search { get; }

        private static IEnumerable<string> Spellings(string word)
        {
            yield return word;
            var start = word[0] == '=' ? 1 : 0;
            yield return word.ToUpperInvariant();
            yield return word[..start] + char.ToUpperInvariant(word[start]) + word[(start + 1)..];
            if (word is "wifi" or "wi-fi")
            {
                yield return word.Length == 4 ? "WiFi" : "Wi-Fi";
            }
        }
    }
}
