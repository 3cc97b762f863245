using System.Buffers;
using System.Text.RegularExpressions;
using PhoneNumbers;

namespace AiGuard.Inspection.Sensitive;

/// <summary>The structured personal data the detector finds; each is validated, not only matched.</summary>
public enum PiiType
{
    /// <summary>Payment card numbers of 12 to 19 digits that pass the Luhn check.</summary>
    CreditCard,

    /// <summary>IBANs whose length fits and whose mod-97 check gives 1.</summary>
    Iban,

    /// <summary>E-mail addresses.</summary>
    Email,

    /// <summary>Phone numbers in E.164 or a national form that libphonenumber accepts for one of the configured regions.</summary>
    Phone,

    /// <summary>IPv4 addresses (every octet 0-255) and IPv6 addresses.</summary>
    IpAddress,

    /// <summary>US social security numbers (AAA-GG-SSSS) outside the never-issued ranges.</summary>
    UsSsn,

    /// <summary>API keys, tokens, private keys and passwords (<see cref="SecretDetector"/>; the kind names the provider).</summary>
    Secret,
}

/// <summary>One entity found in a text: its type and where it is (never its value); a secret's kind (<c>github-token</c>).</summary>
public readonly record struct PiiMatch(PiiType Type, int Start, int Length, string? Kind = null)
{
    public int End => Start + Length;

    /// <summary>The type, with the kind when there is one: <c>Secret (aws-access-key-id)</c>.</summary>
    public string Describe() => Kind is null ? Type.ToString() : $"{Type} ({Kind})";
}

/// <summary>
/// Finds structured personal data in text: candidates by pattern (linear-time regular
/// expressions, no backtracking), then each validated by its own rule (Luhn, mod-97, octet
/// ranges, SSA ranges; phone numbers by libphonenumber). Overlaps are resolved by the more
/// specific type: e-mail, IBAN, card, SSN, IP address, phone. Thread-safe.
/// </summary>
public sealed partial class PiiDetector
{
    /// <summary>Regions whose national phone formats are recognized when a number has no country code.</summary>
    public static readonly string[] DefaultPhoneRegions = ["US", "GB", "DE", "FR", "IT", "ES", "NL", "BE", "AU", "CA", "BR", "IN", "IL"];

    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(1);
    private static readonly Regex CardCandidate = new(@"\b[0-9](?:[ -]?[0-9]){11,18}\b", RegexOptions.NonBacktracking | RegexOptions.CultureInvariant, Timeout);
    private static readonly Regex IbanCandidate = new(@"\b[A-Za-z]{2}[0-9]{2}(?: ?[A-Za-z0-9]{4}){2,7}(?: ?[A-Za-z0-9]{1,4})?\b", RegexOptions.NonBacktracking | RegexOptions.CultureInvariant, Timeout);
    private static readonly Regex EmailCandidate = new(@"\b[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(?:\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}\b", RegexOptions.NonBacktracking | RegexOptions.CultureInvariant, Timeout);
    private static readonly Regex Ipv4Candidate = new(@"\b[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\b", RegexOptions.NonBacktracking | RegexOptions.CultureInvariant, Timeout);
    private static readonly Regex Ipv6Candidate = new(@"\b[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}\b", RegexOptions.NonBacktracking | RegexOptions.CultureInvariant, Timeout);
    private static readonly Regex PhoneCandidate = new(@"(?:\+[0-9]{1,3}[ .-]?)?(?:\([0-9]{1,4}\)[ .-]?)?[0-9]{1,4}(?:[ .-]?\(?[0-9]{1,5}\)?){1,5}(?:[ ]?(?:x|ext\.?)[ ]?[0-9]{1,5})?", RegexOptions.NonBacktracking | RegexOptions.CultureInvariant | RegexOptions.IgnoreCase, Timeout);
    private static readonly Regex DateStart = new(@"^(?:[0-9]{4}[-./][0-9]{1,2}[-./][0-9]{1,2}|[0-9]{1,2}[-./][0-9]{1,2}[-./][0-9]{4})", RegexOptions.NonBacktracking | RegexOptions.CultureInvariant, Timeout);

    /// <summary>
    /// Words that say a nearby number is a phone number, looked for in any case in the 40 characters
    /// before it: English, and the words of other languages that "tel", "mobil" and "cell" do not
    /// already cover (Telefon, telefono, mobile, cellulare): téléphone, "mon portable", Handynummer,
    /// móvil, celular, телефон, 手机, 電話, 携帯, 전화, هاتف, טלפון, τηλέφωνο and others. Words that are
    /// also parts of other words are written with what must follow or precede them ("τηλ." not
    /// "τηλ", which starts τηλεόραση; " móvil", not automóvil; "mobil:", not Immobilien).
    /// </summary>
    private static readonly SearchValues<string> PhoneContext = SearchValues.Create(
        [
            "phone", "mobile", "cell", "tel", "fax", "call", "desk", "office", "contact", "reach", "text me", "sms", "whatsapp",
            "tél", "mon portable", "son portable", "votre portable", "de portable", "portable :", "portable:", "handynummer", "handy-nummer",
            "handynr", "mobil:", "mobilnummer", "mobiel", " móvil", "móvil:", " movil", "movil:", "celular", "komórk", "телефон", "тел.", "тел:",
            "моб.", "моб:", "мобильн", "τηλέφωνο", "τηλ.", "τηλ:", "κινητό", "κινητού", "电话", "電話", "手机", "手機", "携帯", "전화", "휴대폰",
            "핸드폰", "هاتف", "جوال", "טלפון", "נייד:", "फ़ोन", "\u095Eोन", "फोन", "เบอร์โทร", "โทร:", "โทร.", "โทรศัพท์",
        ],
        StringComparison.OrdinalIgnoreCase);

    private static readonly Regex SsnCandidate = new(@"\b[0-9]{3}([- ])[0-9]{2}\1[0-9]{4}\b", RegexOptions.CultureInvariant, Timeout);

    private static readonly PhoneNumberUtil Phones = PhoneNumberUtil.GetInstance();

    private readonly string[] _regions;

    public PiiDetector(IEnumerable<string>? phoneRegions = null)
    {
        _regions = [.. (phoneRegions ?? DefaultPhoneRegions).Select(r => r.ToUpperInvariant()).Distinct(StringComparer.Ordinal)];
    }

    /// <summary>The entities in <paramref name="text"/>, ordered by position, none overlapping.</summary>
    public List<PiiMatch> Find(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var found = new Found(text.Length);
        if (text.Length == 0)
        {
            return found.Matches;
        }

        // One cheap count decides which patterns can match at all: most prompts have few digits
        // and no '@', and then pay for no pattern.
        int digits = 0, colons = 0;
        bool at = false, dot = false;
        foreach (var c in text)
        {
            if (char.IsAsciiDigit(c))
            {
                digits++;
            }
            else if (c == ':')
            {
                colons++;
            }
            else if (c == '@')
            {
                at = true;
            }
            else if (c == '.')
            {
                dot = true;
            }
        }

        // Validated types first: a card number used as an e-mail's local part is still a card number.
        if (digits >= 2)
        {
            Add(found, IbanCandidate, text, PiiType.Iban, IsIban);
        }

        // A card number or an SSN glued to a word ("card_4111...", "ssn_123-45-6789", "x4111...")
        // is still one: these two are read in a view where letters and '_' are spaces.
        var numbers = digits >= 9 ? NumberView(text) : text;
        if (digits >= 12)
        {
            AddCards(found, numbers);
        }

        if (digits >= 9)
        {
            Add(found, SsnCandidate, numbers, PiiType.UsSsn, IsSsn);
        }

        if (digits >= 4 && dot)
        {
            Add(found, Ipv4Candidate, text, PiiType.IpAddress, IsIpv4);
        }

        if (colons >= 2)
        {
            Add(found, Ipv6Candidate, text, PiiType.IpAddress, IsIpv6);
        }

        if (at)
        {
            Add(found, EmailCandidate, text, PiiType.Email, static _ => true);
        }

        if (digits >= 7)
        {
            AddPhones(found, text);
        }

        found.Matches.Sort(static (a, b) => a.Start.CompareTo(b.Start));
        return found.Matches;
    }

    /// <summary>Most candidates of one pattern validated per text: past it the text is not inspected further (see <see cref="Truncated"/>).</summary>
    public const int MaxCandidates = 4096;

    /// <summary>The matches so far and which characters they cover (overlap checks in the candidate's length, not the match count).</summary>
    private sealed class Found(int length)
    {
        private readonly System.Collections.BitArray _covered = new(length);

        public List<PiiMatch> Matches { get; } = [];

        public bool Overlaps(int start, int end)
        {
            for (var i = start; i < end; i++)
            {
                if (_covered[i])
                {
                    return true;
                }
            }

            return false;
        }

        public void Add(PiiMatch match)
        {
            Matches.Add(match);
            for (var i = match.Start; i < match.End; i++)
            {
                _covered[i] = true;
            }
        }
    }

    private static void Add(Found found, Regex pattern, string text, PiiType type, Func<string, bool> valid)
    {
        var seen = 0;
        foreach (Match match in pattern.Matches(text))
        {
            if (++seen > MaxCandidates)
            {
                throw new TextTooDenseException(type);
            }

            if (!found.Overlaps(match.Index, match.Index + match.Length) && valid(match.Value))
            {
                found.Add(new PiiMatch(type, match.Index, match.Length));
            }
        }
    }

    /// <summary>
    /// Card candidates: the whole digit run when it passes Luhn, else the longest run of whole
    /// digit groups inside it that does (a card followed by an expiry or a CVV, "4111 1111 1111 1111 12/27").
    /// </summary>
    private static void AddCards(Found found, string text)
    {
        var seen = 0;
        foreach (Match match in CardCandidate.Matches(text))
        {
            if (++seen > MaxCandidates)
            {
                throw new TextTooDenseException(PiiType.CreditCard);
            }

            if (found.Overlaps(match.Index, match.Index + match.Length))
            {
                continue;
            }

            if (IsCard(match.Value))
            {
                found.Add(new PiiMatch(PiiType.CreditCard, match.Index, match.Length));
                continue;
            }

            // Group boundaries: where each run of digits starts and ends.
            var starts = new List<int>();
            var ends = new List<int>();
            var value = match.Value;
            for (var i = 0; i < value.Length; i++)
            {
                if (char.IsAsciiDigit(value[i]) && (i == 0 || !char.IsAsciiDigit(value[i - 1])))
                {
                    starts.Add(i);
                }

                if (char.IsAsciiDigit(value[i]) && (i == value.Length - 1 || !char.IsAsciiDigit(value[i + 1])))
                {
                    ends.Add(i + 1);
                }
            }

            (int Start, int End)? best = null;
            for (var a = 0; a < starts.Count; a++)
            {
                for (var b = ends.Count - 1; b >= a; b--)
                {
                    var window = value[starts[a]..ends[b]];
                    if ((best is null || window.Length > best.Value.End - best.Value.Start) && IsCard(window))
                    {
                        best = (starts[a], ends[b]);
                    }
                }
            }

            if (best is { } card)
            {
                found.Add(new PiiMatch(PiiType.CreditCard, match.Index + card.Start, card.End - card.Start));
            }
        }
    }

    private void AddPhones(Found found, string text)
    {
        var seen = 0;
        // Candidates by shape, then each checked: a phone word just before it, or a number valid
        // in libphonenumber's plan for its country code (a leading + or 00) or one of the regions.
        foreach (Match match in PhoneCandidate.Matches(text))
        {
            if (++seen > MaxCandidates)
            {
                throw new TextTooDenseException(PiiType.Phone);
            }

            if (IsPhoneShaped(text, match) && !found.Overlaps(match.Index, match.Index + match.Length)
                && (HasPhoneContext(text, match.Index) || IsValidSomewhere(match.Value)))
            {
                found.Add(new PiiMatch(PiiType.Phone, match.Index, match.Length));
            }
        }
    }

    /// <summary>
    /// Without a phone word nearby: an international number (+ or 00) valid in its country's
    /// plan, or a grouped national number (separators between its digits) that libphonenumber's
    /// strict matcher accepts whole for one of the regions. A bare run of digits is an order
    /// number or an id far more often than a phone number.
    /// </summary>
    private bool IsValidSomewhere(string value)
    {
        if (value.StartsWith('+') || value.StartsWith("00", StringComparison.Ordinal))
        {
            try
            {
                return Phones.IsValidNumber(Phones.Parse(value[0] == '+' ? value : "+" + value[2..], "ZZ"));
            }
            catch (NumberParseException)
            {
                return false;
            }
        }

        if (value.AsSpan().IndexOfAny(" -.()") < 0)
        {
            return false;
        }

        foreach (var region in _regions)
        {
            foreach (var match in Phones.FindNumbers(value, region, PhoneNumberUtil.Leniency.VALID, long.MaxValue))
            {
                if (match.Length >= value.Length - 1)
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>The text with letters and '_' read as spaces (same length, same positions), so a digit run glued to a word starts at a word boundary.</summary>
    private static string NumberView(string text)
    {
        var glued = false;
        for (var i = 1; i < text.Length && !glued; i++)
        {
            glued = char.IsAsciiDigit(text[i]) ? IsGlue(text[i - 1]) : char.IsAsciiDigit(text[i - 1]) && IsGlue(text[i]);
        }

        return !glued ? text : string.Create(text.Length, text, static (view, text) =>
        {
            for (var i = 0; i < text.Length; i++)
            {
                view[i] = IsGlue(text[i]) ? ' ' : text[i];
            }
        });

        static bool IsGlue(char c) => c == '_' || char.IsLetter(c);
    }

    private static bool IsPhoneShaped(string text, Match match)
    {
        // Not inside a longer run of digits or letters, 7 to 15 digits before any extension.
        if ((match.Index > 0 && char.IsLetterOrDigit(text[match.Index - 1])) || (match.Index + match.Length < text.Length && char.IsLetterOrDigit(text[match.Index + match.Length])))
        {
            return false;
        }

        var value = match.ValueSpan;
        var extension = value.IndexOfAny('x', 'X', 'e');
        var main = extension >= 0 ? value[..extension] : value;
        var digits = 0;
        foreach (var c in main)
        {
            digits += char.IsAsciiDigit(c) ? 1 : 0;
        }

        // A date (2026-11-02, 11/2/2026) or a date and time (2000-04-16 11:34) is not a phone number.
        var end = match.Index + match.Length;
        return digits is >= 7 and <= 15 && !DateStart.IsMatch(match.Value) && (end >= text.Length || text[end] != ':');
    }

    private static bool HasPhoneContext(string text, int start)
    {
        var from = Math.Max(0, start - 40);
        return text.AsSpan(from, start - from).ContainsAny(PhoneContext);
    }

    /// <summary>12 to 19 digits, one kind of separator at most, a card-network first digit, and the Luhn check.</summary>
    internal static bool IsCard(string value)
    {
        Span<int> digits = stackalloc int[19];
        var count = 0;
        var separator = '\0';
        foreach (var c in value)
        {
            if (char.IsAsciiDigit(c))
            {
                if (count == 19)
                {
                    return false;
                }

                digits[count++] = c - '0';
            }
            else if (separator == '\0')
            {
                separator = c;
            }
            else if (separator != c)
            {
                return false;
            }
        }

        if (count < 12 || digits[0] is 0 or 7 or 8 or 9 && !(digits[0] == 8 && count >= 16))
        {
            return false;
        }

        var sum = 0;
        for (var i = 0; i < count; i++)
        {
            var d = digits[count - 1 - i];
            if (i % 2 == 1)
            {
                d *= 2;
                if (d > 9)
                {
                    d -= 9;
                }
            }

            sum += d;
        }

        return sum % 10 == 0;
    }

    /// <summary>An IBAN: country letters, check digits, 11-30 alphanumerics; mod 97 of the rearranged number is 1.</summary>
    internal static bool IsIban(string value)
    {
        Span<char> compact = stackalloc char[34];
        var length = 0;
        foreach (var c in value)
        {
            if (c == ' ')
            {
                continue;
            }

            if (length == 34)
            {
                return false;
            }

            compact[length++] = char.ToUpperInvariant(c);
        }

        if (length < 15)
        {
            return false;
        }

        var remainder = 0;
        for (var i = 0; i < length; i++)
        {
            var c = compact[(i + 4) % length];
            if (char.IsAsciiDigit(c))
            {
                remainder = ((remainder * 10) + (c - '0')) % 97;
            }
            else if (char.IsAsciiLetterUpper(c))
            {
                remainder = ((remainder * 100) + (c - 'A' + 10)) % 97;
            }
            else
            {
                return false;
            }
        }

        return remainder == 1;
    }

    /// <summary>AAA-GG-SSSS with the separators alike, outside the ranges the SSA never issues (000, 666, 9xx; group 00; serial 0000).</summary>
    internal static bool IsSsn(string value)
    {
        var area = int.Parse(value.AsSpan(0, 3), provider: System.Globalization.CultureInfo.InvariantCulture);
        var group = int.Parse(value.AsSpan(4, 2), provider: System.Globalization.CultureInfo.InvariantCulture);
        var serial = int.Parse(value.AsSpan(7, 4), provider: System.Globalization.CultureInfo.InvariantCulture);
        return area is not (0 or 666) && area < 900 && group != 0 && serial != 0;
    }

    internal static bool IsIpv4(string value)
    {
        foreach (var part in value.Split('.'))
        {
            if (part.Length > 1 && part[0] == '0' || int.Parse(part, System.Globalization.CultureInfo.InvariantCulture) > 255)
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Eight groups or a "::" and a valid address (times like 12:30:45 are neither).</summary>
    internal static bool IsIpv6(string value) =>
        (value.Contains("::", StringComparison.Ordinal) || value.Count(c => c == ':') == 7)
        && value.Any(char.IsAsciiHexDigit)
        && System.Net.IPAddress.TryParse(value, out var address)
        && address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6;
}

/// <summary>A text holds more candidates of one entity type than the detector validates (<see cref="PiiDetector.MaxCandidates"/>): it is refused rather than half inspected.</summary>
public sealed class TextTooDenseException(PiiType type)
    : Exception($"The text holds more than {PiiDetector.MaxCandidates} possible {type} values; it is not inspected further.")
{
    public PiiType Type { get; } = type;
}
