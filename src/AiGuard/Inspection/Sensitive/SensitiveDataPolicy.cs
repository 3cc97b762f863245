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

/// <summary>Sensitive data in prompts (section <c>AiGuard:Policies:&lt;name&gt;:SensitiveData</c>), OpenAI routes.</summary>
public sealed class SensitiveDataOptions
{
    /// <summary>Action per entity type name (<see cref="PiiType"/>: CreditCard, Iban, Email, Phone, IpAddress, UsSsn); unnamed types are allowed.</summary>
    public Dictionary<string, SensitiveAction> Actions { get; set; } = new(StringComparer.Ordinal);

    /// <summary>Regions whose national phone formats are recognized (ISO 3166 codes); empty for <see cref="PiiDetector.DefaultPhoneRegions"/>.</summary>
    public List<string> PhoneRegions { get; set; } = [];

    public bool IsActive => Actions.Values.Any(a => a != SensitiveAction.Allow);
}

/// <summary>The options resolved for a route: an action per type and the detector.</summary>
public sealed class SensitiveDataPolicy
{
    private readonly SensitiveAction[] _actions;

    public SensitiveDataPolicy(SensitiveDataOptions options)
    {
        _actions = new SensitiveAction[Enum.GetValues<PiiType>().Length];
        foreach (var (name, action) in options.Actions)
        {
            if (Enum.TryParse<PiiType>(name, ignoreCase: false, out var type))
            {
                _actions[(int)type] = action;
            }
        }

        Detector = new PiiDetector(options.PhoneRegions.Count > 0 ? options.PhoneRegions : null);
    }

    public PiiDetector Detector { get; }

    public SensitiveAction ActionFor(PiiType type) => _actions[(int)type];

    /// <summary>The placeholder a redacted entity becomes.</summary>
    public static string Placeholder(PiiType type) => type switch
    {
        PiiType.CreditCard => "[CREDIT_CARD]",
        PiiType.Iban => "[IBAN]",
        PiiType.Email => "[EMAIL]",
        PiiType.Phone => "[PHONE]",
        PiiType.IpAddress => "[IP_ADDRESS]",
        PiiType.UsSsn => "[US_SSN]",
        _ => "[REDACTED]",
    };
}
