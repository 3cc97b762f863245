namespace AiGuard.Inspection.Text;

/// <summary>The inspected copy of a text, and what the normalizer had to undo to get it.</summary>
/// <param name="Text">What a guard inspects; the same instance as the input when nothing was folded.</param>
/// <param name="Findings">What was removed, folded or decoded: obfuscation is a signal of its own.</param>
public readonly record struct NormalizedText(string Text, NormalizationFindings Findings);

/// <summary>A base64 or hex span of a text (<c>[Start, End)</c>, padding and prefix included) and the text it decodes to.</summary>
public readonly record struct EncodedSpan(int Start, int End, string Decoded, bool Hex);

/// <summary>Counts of what the normalizer removed, folded or decoded in one text.</summary>
public readonly record struct NormalizationFindings
{
    /// <summary>Zero-width, invisible, bidirectional-control and other non-printing characters removed.</summary>
    public int Invisible { get; init; }

    /// <summary>Tag characters (U+E0020..U+E007E) read as the ASCII they hide.</summary>
    public int Tags { get; init; }

    /// <summary>Characters folded by the compatibility fold (fullwidth, math alphanumerics, ligatures...); accented Latin letters are folded but not counted.</summary>
    public int Compatibility { get; init; }

    /// <summary>Look-alike letters of other scripts folded to ASCII.</summary>
    public int Homoglyphs { get; init; }

    /// <summary>Digits and symbols inside words read as letters (1gn0r3 -> ignore).</summary>
    public int Leet { get; init; }

    /// <summary>Base64 spans decoded to text and appended.</summary>
    public int Base64 { get; init; }

    /// <summary>Hex spans decoded to text and appended.</summary>
    public int Hex { get; init; }

    /// <summary>Lines that read as ROT13, appended decoded.</summary>
    public int Rot13 { get; init; }

    /// <summary>Whether anything was hidden, folded or decoded.</summary>
    public bool Any => Invisible + Tags + Compatibility + Homoglyphs + Leet + Base64 + Hex + Rot13 > 0;

    /// <summary>Spans decoded from an encoding (base64, hex, ROT13).</summary>
    public int Decoded => Base64 + Hex + Rot13;
}

/// <summary>Which folds <see cref="TextNormalizer"/> applies.</summary>
[Flags]
public enum TextFolds
{
    None = 0,

    /// <summary>Invisible and bidirectional controls removed, tag characters read, the compatibility fold (NFKC, accents).</summary>
    Characters = 1,

    /// <summary>Look-alike letters of other scripts inside Latin words (or Latin text) folded to ASCII.</summary>
    Homoglyphs = 2,

    /// <summary>Leetspeak digits and symbols inside letter words read as letters.</summary>
    Leetspeak = 4,

    /// <summary>Base64, hex and ROT13 spans decoded to text and appended.</summary>
    Decode = 8,

    /// <summary>Everything: what a prompt-injection check should see.</summary>
    All = Characters | Homoglyphs | Leetspeak | Decode,
}
