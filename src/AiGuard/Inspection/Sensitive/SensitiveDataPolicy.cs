namespace AiGuard.Inspection.Sensitive;

/// <summary>What a route does with an entity type found in a prompt.</summary>
public enum SensitiveAction
{
    /// <summary>Forwarded as sent.</summary>
    Allow,

    /// <summary>Replaced by a typed placeholder (<c>[CREDIT_CARD]</c>) before forwarding; audited.</summary>
    Redact,

    /// <summary>The request is refused (400 <c>sensitive_data</c>); audited.</summary>
    Block,
}

/// <summary>Sensitive data in prompts and answers (section <c>AiGuard:Policies:&lt;name&gt;:SensitiveData</c>), OpenAI routes.</summary>
public sealed class SensitiveDataOptions
{
    /// <summary>Action per entity type name (<see cref="PiiType"/>: CreditCard, Iban, Email, Phone, IpAddress, UsSsn, Secret) in prompts; unnamed types are allowed.</summary>
    public Dictionary<string, SensitiveAction> Actions { get; set; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Action per entity type in the model's answers (whole JSON and streams). When no type is
    /// named here, answers follow <see cref="Actions"/>; name types with <c>Allow</c> to leave answers alone.
    /// In an answer, Redact replaces the entity with its placeholder and Block withholds the answer
    /// (a whole answer is refused; a stream is cut before the entity).
    /// </summary>
    public Dictionary<string, SensitiveAction> ResponseActions { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Regions whose national phone formats are recognized (ISO 3166 codes); empty for <see cref="PiiDetector.DefaultPhoneRegions"/>.</summary>
    public List<string> PhoneRegions { get; set; } = [];

    public bool IsActive => Actions.Values.Any(a => a != SensitiveAction.Allow) || ResponseActions.Values.Any(a => a != SensitiveAction.Allow);
}

/// <summary>The options resolved for a route: an action per type, for prompts and for answers, and the detector.</summary>
public sealed class SensitiveDataPolicy
{
    private readonly SensitiveAction[] _actions;
    private readonly SensitiveAction[] _responseActions;

    public SensitiveDataPolicy(SensitiveDataOptions options)
    {
        _actions = Resolve(options.Actions);
        _responseActions = options.ResponseActions.Count > 0 ? Resolve(options.ResponseActions) : _actions;
        InspectsPrompts = _actions.Any(a => a != SensitiveAction.Allow);
        InspectsResponses = _responseActions.Any(a => a != SensitiveAction.Allow);
        Detector = new PiiDetector(options.PhoneRegions.Count > 0 ? options.PhoneRegions : null);
        var secrets = _actions[(int)PiiType.Secret] != SensitiveAction.Allow || _responseActions[(int)PiiType.Secret] != SensitiveAction.Allow;
        Secrets = secrets ? new SecretDetector() : null;
        _findsPii = _actions.Where((a, type) => type != (int)PiiType.Secret && a != SensitiveAction.Allow).Any()
            || _responseActions.Where((a, type) => type != (int)PiiType.Secret && a != SensitiveAction.Allow).Any();
    }

    private readonly bool _findsPii;

    public PiiDetector Detector { get; }

    /// <summary>The secret detector, when a route redacts or blocks secrets.</summary>
    public SecretDetector? Secrets { get; }

    /// <summary>Whether any type is redacted or blocked in prompts.</summary>
    public bool InspectsPrompts { get; }

    /// <summary>Whether any type is redacted or blocked in answers (the route then parses its answers).</summary>
    public bool InspectsResponses { get; }

    /// <summary>What a prompt's entity of this type gets.</summary>
    public SensitiveAction ActionFor(PiiType type) => _actions[(int)type];

    /// <summary>What an answer's entity of this type gets.</summary>
    public SensitiveAction ResponseActionFor(PiiType type) => _responseActions[(int)type];

    /// <summary>A text with more entities than this is inspected every time: an entry stays small (at most 1.5 KB), so the cache's memory stays bounded.</summary>
    public const int MaxCachedMatches = 64;

    /// <summary>What was found in the long prompts each client sent before (<see cref="Find(string, Identity.ClientIdentity?)"/>).</summary>
    public Text.ClientTextCache<PiiMatch[]> Cache { get; } = new(counters: Text.TextCacheCounters.SensitiveData);

    /// <summary>
    /// <see cref="Find(string)"/> for a text a client sent: a long text this client sent before (a
    /// conversation resent whole on every turn) gets the entities found in it then (types and
    /// positions, never values). A null <paramref name="client"/> inspects every time;
    /// <paramref name="remember"/> keeps what was found in a text of any length (a tool's description,
    /// sent again with every request of a conversation).
    /// </summary>
    /// <exception cref="TextTooDenseException">The text holds too many candidates to inspect.</exception>
    public List<PiiMatch> Find(string text, Identity.ClientIdentity? client, bool remember = false)
    {
        ArgumentNullException.ThrowIfNull(text);
        if (client is null || !(remember || Text.ClientTextCache.Caches(text.Length)))
        {
            return Find(text);
        }

        if (Cache.TryGet(client.Tenant, client.ClientId, text, out var remembered, out var key))
        {
            return [.. remembered];
        }

        var matches = Find(text);
        if (matches.Count <= MaxCachedMatches)
        {
            Cache.Add(key, matches.Count == 0 ? [] : [.. matches]);
        }

        return matches;
    }

    /// <summary>
    /// The entities in a text, in order, not overlapping: secrets first, then personal data
    /// outside them. A text with invisible characters or compatibility forms (fullwidth digits) is
    /// inspected folded (<see cref="Text.MappedFold"/>) and the spans mapped back to the original.
    /// </summary>
    /// <exception cref="TextTooDenseException">The text holds too many candidates to inspect.</exception>
    public List<PiiMatch> Find(string text)
    {
        if (!Text.MappedFold.Needed(text))
        {
            return FindWithEncoded(text);
        }

        var fold = Text.MappedFold.Of(text);
        var matches = FindWithEncoded(fold.Text);
        for (var i = 0; i < matches.Count; i++)
        {
            var (start, end) = fold.Original(matches[i].Start, matches[i].End);
            matches[i] = matches[i] with { Start = start, Length = end - start };
        }

        return matches;
    }

    /// <summary>
    /// <see cref="FindPlain"/>, and the base64 and hex spans that decode to text holding an entity
    /// (what the model would read in them; <see cref="Text.TextNormalizer.EncodedSpans"/>): each such
    /// span is one match over the whole encoded span, of the type inside it whose action is the
    /// strictest (its kind says how it was encoded), so redacting replaces the span and blocking
    /// refuses it.
    /// </summary>
    private List<PiiMatch> FindWithEncoded(string text)
    {
        var matches = FindPlain(text);
        if (text.Length < Text.TextNormalizer.MinHexPairs * 2 || Text.TextNormalizer.EncodedSpans(text, minLetterShare: 0) is not { } spans)
        {
            return matches;
        }

        var added = false;
        foreach (var span in spans)
        {
            if (matches.Any(m => m.Start < span.End && span.Start < m.End))
            {
                continue;
            }

            var inside = FindPlain(span.Decoded);
            if (inside.Count == 0)
            {
                continue;
            }

            var strictest = inside.MaxBy(m => (int)Strictest(m.Type));
            var encoding = span.Hex ? "hex" : "base64";
            matches.Add(new PiiMatch(strictest.Type, span.Start, span.End - span.Start, strictest.Kind is null ? encoding : $"{strictest.Kind}, {encoding}"));
            added = true;
        }

        if (added)
        {
            matches.Sort((a, b) => a.Start.CompareTo(b.Start));
        }

        return matches;
    }

    /// <summary>The stricter of a type's actions in prompts and in answers (Block over Redact over Allow).</summary>
    private SensitiveAction Strictest(PiiType type) => (SensitiveAction)Math.Max((int)_actions[(int)type], (int)_responseActions[(int)type]);

    private List<PiiMatch> FindPlain(string text)
    {
        var pii = _findsPii ? Detector.Find(text) : [];
        if (Secrets is null)
        {
            return pii;
        }

        List<SecretMatch> secrets;
        try
        {
            secrets = Secrets.Find(text);
        }
        catch (SecretTextTooDenseException)
        {
            throw new TextTooDenseException(PiiType.Secret);
        }

        if (secrets.Count == 0)
        {
            return pii;
        }

        // A key's digits may look like a phone number; the secret wins.
        var merged = new List<PiiMatch>(secrets.Count + pii.Count);
        merged.AddRange(secrets.Select(s => new PiiMatch(PiiType.Secret, s.Start, s.Length, s.Kind)));
        foreach (var match in pii)
        {
            if (!secrets.Any(s => s.Start < match.End && match.Start < s.End))
            {
                merged.Add(match);
            }
        }

        merged.Sort((a, b) => a.Start.CompareTo(b.Start));
        return merged;
    }

    private static SensitiveAction[] Resolve(Dictionary<string, SensitiveAction> named)
    {
        var actions = new SensitiveAction[Enum.GetValues<PiiType>().Length];
        foreach (var (name, action) in named)
        {
            if (Enum.TryParse<PiiType>(name, ignoreCase: false, out var type))
            {
                actions[(int)type] = action;
            }
        }

        return actions;
    }

    /// <summary>The placeholder a redacted entity becomes.</summary>
    public static string Placeholder(PiiType type) => type switch
    {
        PiiType.CreditCard => "[CREDIT_CARD]",
        PiiType.Iban => "[IBAN]",
        PiiType.Email => "[EMAIL]",
        PiiType.Phone => "[PHONE]",
        PiiType.IpAddress => "[IP_ADDRESS]",
        PiiType.UsSsn => "[US_SSN]",
        PiiType.Secret => "[SECRET]",
        _ => "[REDACTED]",
    };
}
