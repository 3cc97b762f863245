namespace AiGuard.Inspection.Text;

/// <summary>
/// The character folds of the inspected copy: the Unicode compatibility fold (NFKC, and letters
/// with diacritics to their base letter) wherever it gives ASCII, invisible and bidirectional
/// controls, tag characters, and look-alike letters of other scripts.
/// </summary>
/// <remarks>
/// The gateway runs with <c>InvariantGlobalization</c>, where <see cref="string.Normalize()"/>
/// changes nothing on Linux (no ICU), so the compatibility fold is a table generated from
/// Python's <c>unicodedata</c> (<c>tools/gen_unicode_fold.py</c>): fullwidth forms,
/// mathematical alphanumerics, circled and parenthesized letters, ligatures, superscripts,
/// compatibility spaces, accented Latin letters.
/// </remarks>
internal static partial class UnicodeFold
{
    // Look-alikes that NFKC keeps apart: Cyrillic, Greek, Armenian and IPA letters drawn like
    // ASCII ones (a compact subset of Unicode's confusables.txt), folded only where a word mixes
    // them with ASCII letters or the text is Latin (see TextNormalizer).
    private const string HomoglyphPairs =
        "аaАAвBВBеeЕEёeЁEкkКKмMМMнHНHоoОOрpРPсcСCтTТTуyУYхxХXіiІIїiЇIјjЈJѕsЅSԁdԛqԝwԜWүyҮYһhҺHӏlӀIпnгrьb" +
        "αaΑAβBΒBεeΕEζZΖZηnΗHιiΙIκkΚKμuΜMνvΝNοoΟOρpΡPτtΤTυuΥYχxΧXωwγyϲcϳjℓl" +
        "օoսuհhոnցgıiɑaɡgɩiɪiȷjʏyʀRᴀAᴄCᴅDᴇEᴋKᴍMᴏOᴘPᴛTᴜUᴠVᴡWᴢZ";

    private static readonly Dictionary<char, char> Homoglyphs = BuildHomoglyphs();

    /// <summary>The ASCII text a code point folds to under compatibility normalization, or null.</summary>
    public static string? Compatibility(int codePoint)
    {
        if (codePoint < 0x80)
        {
            return null;
        }

        if (codePoint <= 0xFFFF)
        {
            var index = Index.Bmp[codePoint];
            return index == 0 ? null : Replacements[index - 1];
        }

        return Index.Astral.GetValueOrDefault(codePoint);
    }

    /// <summary>
    /// A Latin letter with a diacritic (é, ß, ł, ă, ệ) or a combining diacritic: ordinary spelling
    /// in most languages written in Latin script. The fold still reads it as its base letter, but
    /// it is not counted as a compatibility finding (fullwidth, mathematical or circled letters,
    /// ligatures), which signals obfuscation.
    /// </summary>
    public static bool IsAccentedLatin(int codePoint) => codePoint switch
    {
        0xD7 or 0xF7 => false,                   // multiplication and division signs
        // Latin-1 letters, Latin Extended-A and -B, Latin Extended Additional (Vietnamese), except
        // the letters whose Unicode decomposition is a compatibility one (or goes through one:
        // ligature ij, middle-dot l, 'n, long s, the DŽ..nj and DZ..dz digraphs, ẚ, ẛ), which
        // tools/gen_unicode_fold.py lists.
        >= 0xC0 and <= 0x24F or >= 0x1E00 and <= 0x1EFF => Array.BinarySearch(CompatibilityLatinLetters, codePoint) < 0,
        >= 0x300 and <= 0x36F => true,           // combining diacritical marks
        _ => false,
    };

    /// <summary>The ASCII letter a look-alike letter of another script stands for, or 0.</summary>
    public static char Homoglyph(char c) => c >= 0x80 && Homoglyphs.TryGetValue(c, out var ascii) ? ascii : '\0';

    /// <summary>Characters that render as nothing or only steer the layout: removed from the inspected copy.</summary>
    public static bool IsInvisible(int c) => c switch
    {
        0x00AD or 0x034F or 0x061C or 0x115F or 0x1160 or 0x17B4 or 0x17B5 or 0x180E or 0x3164 or 0xFFA0 or 0xFEFF => true,
        >= 0x180B and <= 0x180D => true,         // Mongolian variation selectors
        >= 0x200B and <= 0x200F => true,         // zero-width space / joiners, LRM, RLM
        >= 0x202A and <= 0x202E => true,         // bidirectional embeddings and overrides
        >= 0x2060 and <= 0x206F => true,         // word joiner, invisible operators, bidi isolates
        >= 0xFE00 and <= 0xFE0F => true,         // variation selectors
        >= 0xFFF0 and <= 0xFFF8 => true,
        >= 0x1D173 and <= 0x1D17A => true,       // musical formatting
        >= 0xE0100 and <= 0xE01EF => true,       // variation selectors supplement
        0xE0001 or 0xE007F => true,              // tag begin / cancel
        _ => false,
    };

    /// <summary>A tag character (U+E0020..U+E007E) carries a hidden ASCII character; returns it, or 0.</summary>
    public static char TagCharacter(int codePoint) =>
        codePoint is >= 0xE0020 and <= 0xE007E ? (char)(codePoint - 0xE0000) : '\0';

    // In a nested class: built on first use, after the generated tables (another file of this
    // partial class, whose field initializers run in no defined order relative to these).
    private static class Index
    {
        // Index + 1 into Replacements per BMP code point (0: no fold): one array read per character.
        public static readonly ushort[] Bmp = BuildBmp();
        public static readonly Dictionary<int, string> Astral = BuildAstral();
    }

    private static ushort[] BuildBmp()
    {
        var map = new ushort[0x10000];
        for (var i = 0; i < CodePoints.Length && CodePoints[i] <= 0xFFFF; i++)
        {
            map[CodePoints[i]] = (ushort)(i + 1);
        }

        return map;
    }

    private static Dictionary<int, string> BuildAstral()
    {
        var map = new Dictionary<int, string>();
        for (var i = 0; i < CodePoints.Length; i++)
        {
            if (CodePoints[i] > 0xFFFF)
            {
                map[CodePoints[i]] = Replacements[i];
            }
        }

        return map;
    }

    private static Dictionary<char, char> BuildHomoglyphs()
    {
        var map = new Dictionary<char, char>();
        for (var i = 0; i + 1 < HomoglyphPairs.Length; i += 2)
        {
            map[HomoglyphPairs[i]] = HomoglyphPairs[i + 1];
        }

        return map;
    }
}
