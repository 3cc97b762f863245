using System.Buffers;
using System.Globalization;
using System.Text.RegularExpressions;

namespace AiGuard.Inspection.Sensitive;

/// <summary>The kinds of secret the detector names (stable strings: they go into audit events and placeholders).</summary>
public static class SecretKinds
{
    public const string AwsAccessKeyId = "aws-access-key-id";
    public const string AwsSecretAccessKey = "aws-secret-access-key";
    public const string GithubToken = "github-token";
    public const string GitlabToken = "gitlab-token";
    public const string SlackToken = "slack-token";
    public const string SlackWebhook = "slack-webhook";
    public const string StripeKey = "stripe-key";
    public const string OpenAiApiKey = "openai-api-key";
    public const string AnthropicApiKey = "anthropic-api-key";
    public const string SkApiKey = "sk-api-key";
    public const string GoogleApiKey = "google-api-key";
    public const string GoogleOAuthToken = "google-oauth-token";
    public const string GoogleOAuthClientSecret = "google-oauth-client-secret";
    public const string AzureStorageKey = "azure-storage-key";
    public const string AzureClientSecret = "azure-client-secret";
    public const string AzureDevOpsToken = "azure-devops-token";
    public const string TwilioApiKey = "twilio-api-key";
    public const string SendGridApiKey = "sendgrid-api-key";
    public const string MailgunApiKey = "mailgun-api-key";
    public const string MailchimpApiKey = "mailchimp-api-key";
    public const string NpmToken = "npm-token";
    public const string PypiToken = "pypi-token";
    public const string HuggingFaceToken = "huggingface-token";
    public const string ShopifyToken = "shopify-token";
    public const string DigitalOceanToken = "digitalocean-token";
    public const string HerokuApiKey = "heroku-api-key";
    public const string DatabricksToken = "databricks-token";
    public const string Jwt = "jwt";
    public const string PrivateKey = "private-key";
    public const string UrlCredentials = "url-credentials";
    public const string ConnectionStringPassword = "connection-string-password";
    public const string Password = "password";
    public const string AuthorizationHeader = "authorization-header";
    public const string GenericSecret = "generic-secret";
    public const string GenericHighEntropy = "generic-high-entropy";
}

/// <summary>One secret found in a text: its kind and where its value is (never the value itself).</summary>
public readonly record struct SecretMatch(string Kind, int Start, int Length)
{
    public int End => Start + Length;
}

/// <summary>
/// Finds credentials in text: provider tokens by their documented formats (prefixes, lengths,
/// alphabets), private key blocks, passwords in URLs and connection strings, and values assigned
/// to a secret-ish name (key, secret, token, password...) in code, configuration, environment
/// files, JSON, YAML, headers and command lines: passwords when they are literals and not
/// placeholders, other values only when they look random (length, character classes, entropy).
/// A match covers the value, not the name before it. Bare high-entropy strings without a provider
/// format or a name are not reported (hashes, ids, UUIDs and base64 data are too common).
/// Linear in the text; thread-safe.
/// </summary>
public sealed partial class SecretDetector
{
    /// <summary>Most candidates (pattern matches, secret-ish names, URLs) examined per text; past it the text is refused (<see cref="SecretTextTooDenseException"/>).</summary>
    public const int MaxCandidates = 4096;

    /// <summary>Values longer than this (after a name) are not secrets but data.</summary>
    private const int MaxValueLength = 512;

    /// <summary>Provider tokens are at least this long: a text without such a run of token characters skips the provider patterns.</summary>
    private const int MinTokenRun = 16;

    private const int TimeoutMilliseconds = 1000;

    /// <summary>Characters of a token run (provider tokens, URLs, hashes): ASCII letters, digits and _-+/=.$~:@,.</summary>
    private static readonly bool[] RunChars = Table("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-+/=.$~:@,");

    /// <summary>
    /// The first two characters of every alternative of <see cref="ProviderPattern"/>: the pattern is
    /// only tried where one of them starts (keep in step with the pattern; the tests try the main providers).
    /// </summary>
    private static readonly HashSet<int> ProviderStarts =
    [
        .. new[]
        {
            "AK", "AS", "AB", "AC", "A3", "gh", "gi", "gl", "GR", "xo", "xa", "ht", "sk", "rk", "wh", "AI", "ya", "1/", "GO", "SK", "SG", "ke",
            "np", "py", "hf", "ap", "sh", "do", "HR", "da", "ey", "AG", "AT", "PM", "sq", "EA", "hv", "dp", "sl", "NR", "sn", "dc", "ai",
            "li", "gs", "pp", "r8", "ts", "ps", "sb", "fi", "ru", "ls", "pu", "nt", "se", "$2", "$1", "$5", "$6", "$a", "$k",
            "oy", "tv", "od", "fc", "sg", "dt", "p8", "oa", "cm", "ci", "ha", "LT", "AA", "px", "ew",
            "IQ", "Fw", "nv", "v1", "0/", "2/", "fo", "fm", "pc", "rn", "nf", "pa", "ml", "CF", "pn", "tf", "CL", "FL", "EZ", "du",
            "rd", "tk", "sa", "ic", "AP", "op", "dn", "AQ", "y0", "YC", "00", "ac",
        }.Select(p => (p[0] << 16) | p[1]),
    ];

    private static bool[] Table(string chars)
    {
        var table = new bool[128];
        foreach (var c in chars)
        {
            table[c] = true;
        }

        return table;
    }

    private static bool IsRunChar(char c) => c < 128 && RunChars[c];

    /// <summary>Names that say the value after them is a credential (case-insensitive, inside an identifier).</summary>
    private static readonly SearchValues<string> Keywords = SearchValues.Create(
        ["pass", "pwd", "secret", "token", "key", "auth", "credential", "bearer", "login", "crumb", "reporter_id"], StringComparison.OrdinalIgnoreCase);

    /// <summary>Vault's "unseal" in any case, looked for with one vectorized search (a case-insensitive <c>Contains</c> is a scalar loop).</summary>
    private static readonly SearchValues<string> UnsealMarker = SearchValues.Create(["nseal"], StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// "Password" in other languages, as a label or a name (<c>Passwort: ...</c>, <c>contraseña=...</c>,
    /// <c>密码：...</c>). Only the words that mean nothing else are here (Italian and Romanian
    /// "parola" is also "word", Greek κωδικός "code", Korean 암호 "cipher").
    /// </summary>
    private static readonly string[] LocalizedPasswordWords =
    [
        "passwort", "kennwort", "contraseña", "contrasena", "mot de passe", "mot_de_passe", "motdepasse", "senha", "wachtwoord",
        "hasło", "haslo", "lösenord", "losenord", "şifre", "salasana", "heslo", "jelszó", "jelszo", "passord", "adgangskode",
        "lozinka", "geslo", "пароль", "mật khẩu", "kata sandi", "kata laluan", "รหัสผ่าน", "סיסמה", "كلمة المرور", "كلمة السر",
        "رمز عبور", "पासवर्ड", "密码", "密碼", "パスワード", "비밀번호",
    ];

    private static readonly SearchValues<string> LocalizedPasswordNames = SearchValues.Create(LocalizedPasswordWords, StringComparison.OrdinalIgnoreCase);

    /// <summary>
    /// The ASCII words of <see cref="LocalizedPasswordWords"/>: one vectorized search over an ASCII
    /// text; the whole set (a slower search: it has non-ASCII words in any case) runs only on a text
    /// that has a character outside ASCII.
    /// </summary>
    private static readonly SearchValues<string> AsciiLocalizedPasswordNames =
        SearchValues.Create([.. LocalizedPasswordWords.Where(word => System.Text.Ascii.IsValid(word))], StringComparison.OrdinalIgnoreCase);

    /// <summary>What a URL carrying a credential in its query or path holds (<see cref="SignedUrlPattern"/>, <see cref="Web3RpcPattern"/>).</summary>
    private static readonly SearchValues<string> UrlKeyMarkers = SearchValues.Create(["sig=", "Signature=", ".infura.io/", ".alchemy"], StringComparison.Ordinal);

    /// <summary>
    /// Prefixes that only providers' tokens start with. A value with one of them that the provider
    /// pattern did not take (wrong length or alphabet: a near miss, a truncated or made-up token)
    /// is not reported through the generic path either.
    /// </summary>
    private static readonly string[] ProviderPrefixes =
    [
        "ghp_", "gho_", "ghu_", "ghs_", "ghr_", "github_pat_", "glpat-", "gldt-", "glrt-", "glptt-", "glft-", "glsoat-", "xoxb-", "xoxp-",
        "xoxa-", "xoxo-", "xoxs-", "xoxr-", "xoxe", "xapp-", "sk_live_", "sk_test_", "rk_live_", "rk_test_", "whsec_", "sk-ant-", "sk-proj-",
        "sk-svcacct-", "sk-admin-", "AIza", "ya29.", "GOCSPX-", "SG.", "npm_", "pypi-", "hf_", "api_org_", "shpat_", "shpss_", "shpca_",
        "shppa_", "dop_v1_", "doo_v1_", "dor_v1_", "HRKU-", "dapi", "glsa_", "glc_", "AGE-SECRET-KEY-", "ATATT3", "PMAK-", "sq0atp-",
        "sq0csp-", "hvs.", "hvb.", "hvr.", "dp.pt.", "dp.st.", "dp.sa.", "dp.ct.", "NRAK-", "NRAA-", "NRII-", "NRIQ-", "NRJS-", "NRRA-",
        "sntrys_", "sntryu_", "dckr_pat_", "dckr_oat_", "lin_api_", "gsk_", "xai-", "pplx-", "r8_", "tskey-", "pscale_", "sbp_", "figd_",
        "rubygems_", "lsv2_", "ntn_", "tvly-", "odt_", "fc-", "sgp_", "dt0c01.", "p8e-", "AKCp", "cmVmd", "sqp_", "squ_", "sqa_", "da2-",
        "hawk.", "LTAI", "AKIA", "ASIA", "px-api-", "px-dep-", "sk.eyJ",
    ];

    /// <summary>Values that only stand for a secret (lower case, looked for inside the value).</summary>
    private static readonly string[] PlaceholderParts =
        ["your", "xxxx", "****", "....", "…", "example", "placeholder", "changeme", "change_me", "change-me", "dummy", "redacted", "${", "{{", "}}", "%(", "#{", "process.env", "environ", "getenv", "secrets.", "insert", "replace", "_here", "-here", "here_", "enter_", "sample"];

    /// <summary>Whole values that are words, types or literals, not secrets (lower case).</summary>
    private static readonly HashSet<string> PlaceholderWords = new(StringComparer.OrdinalIgnoreCase)
    {
        "password", "passwd", "pass", "pwd", "token", "key", "apikey", "api_key", "null", "nil", "none", "true", "false",
        "undefined", "string", "str", "empty", "required", "optional", "value", "test", "bearer", "basic", "auth", "credentials",
        "hidden", "masked", "unknown", "default", "string?", "bool", "boolean", "int", "object", "any", "void", "text",
        "erforderlich", "obligatorisch", "pflichtfeld", "obligatoria", "obligatorio", "requerida", "requerido", "obligatoire", "requis",
        "obbligatoria", "obbligatorio", "obrigatória", "obrigatório", "obrigatoria", "obrigatorio", "verplicht", "wymagane", "wymagany",
        "обязателен", "обязательно", "обязательный", "обязательное", "zorunlu", "obligatoriskt", "povinné", "kötelező",
    };

    /// <summary>Words that contain a keyword but do not name a credential.</summary>
    private static readonly string[] NotSecretNames =
        ["keyboard", "keyword", "keystroke", "keypress", "keydown", "keyup", "keyframe", "keycode", "keyevent", "monkey", "donkey", "turkey", "hockey", "whiskey", "jockey", "author", "bypass", "compass", "surpass", "overpass", "underpass", "passage", "passenger", "passive", "passport", "passthrough", "passing", "secretary", "tokeniz", "sortkey", "keymap", "keyset", "keyvalue", "key_value", "keyof", "hotkey", "shortcut"];

    [GeneratedRegex(
        @"\G(?:"
        + @"(?<aws_access_key_id>(?:AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9])[A-Z0-9]{16}(?![A-Za-z0-9]))"
        + @"|(?<github_token>gh[pousr]_[A-Za-z0-9]{36,251}(?![A-Za-z0-9])|github_pat_[A-Za-z0-9_]{70,255})"
        + @"|(?<gitlab_token>gl(?:pat|dt|rt|ptt|ft|soat|imt|agent|oas|cbt|ffct)-[A-Za-z0-9_-]{20,64}|GR1348941[A-Za-z0-9_-]{20,64})"
        + @"|(?<slack_token>xox[abposr]-(?:[0-9]{1,2}-)?[0-9]{6,14}-[A-Za-z0-9-]{10,250}|xoxe\.xox[bp]-[0-9]-[A-Za-z0-9]{140,180}|xoxe-[0-9]-[A-Za-z0-9]{130,160}|xapp-[0-9]{1,16}-[A-Za-z0-9+/-]{20,250})"
        + @"|(?<slack_webhook>https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9+/_-]{20,200})"
        + @"|(?<stripe_key>(?:sk|rk)_(?:live|test)_[A-Za-z0-9]{10,247}|whsec_[A-Za-z0-9+/=]{24,100})"
        + @"|(?<anthropic_api_key>sk-ant-(?:api|admin|oat|ort)[0-9]{2}-[A-Za-z0-9_-]{32,250})"
        + @"|(?<openai_api_key>sk-(?:proj|svcacct|admin)-[A-Za-z0-9_-]{20,250}|sk-[A-Za-z0-9]{20}T3BlbkFJ[A-Za-z0-9]{20})"
        + @"|(?<sk_api_key>sk-(?:or-v1-)?[A-Za-z0-9]{32,128}(?![A-Za-z0-9_-]))"
        + @"|(?<google_api_key>AIza[0-9A-Za-z_-]{35}(?![A-Za-z0-9_-]))"
        + @"|(?<google_oauth_token>ya29\.[0-9A-Za-z_-]{20,2048}|1//0[0-9A-Za-z_-]{40,512})"
        + @"|(?<google_oauth_client_secret>GOCSPX-[A-Za-z0-9_-]{28})"
        + @"|(?<twilio_api_key>SK[0-9a-fA-F]{32}(?![A-Za-z0-9]))"
        + @"|(?<sendgrid_api_key>SG\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43})"
        + @"|(?<mailgun_api_key>key-[0-9a-f]{32}(?![A-Za-z0-9]))"
        + @"|(?<npm_token>npm_[A-Za-z0-9]{36}(?![A-Za-z0-9]))"
        + @"|(?<pypi_token>pypi-AgE[A-Za-z0-9_-]{50,1024})"
        + @"|(?<huggingface_token>(?:hf_|api_org_)[A-Za-z0-9]{34}(?![A-Za-z0-9]))"
        + @"|(?<shopify_token>shp(?:at|ss|ca|pa)_[a-fA-F0-9]{32}(?![A-Za-z0-9]))"
        + @"|(?<digitalocean_token>do[opr]_v1_[a-f0-9]{64}(?![A-Za-z0-9]))"
        + @"|(?<heroku_api_key>HRKU-[A-Za-z0-9_-]{58,72})"
        + @"|(?<databricks_token>dapi[0-9a-f]{32}(?:-[0-9])?(?![A-Za-z0-9]))"
        + @"|(?<mapbox_secret_token>sk\.eyJ[A-Za-z0-9_-]{20,512}\.[A-Za-z0-9_-]{20,512})"
        + @"|(?<jwt>eyJ[A-Za-z0-9_-]{8,4096}\.eyJ[A-Za-z0-9_-]{8,8192}\.[A-Za-z0-9_-]{0,4096}|e[yw][A-Za-z0-9_-]{8,4096}\.[A-Za-z0-9_-]{16,8192}\.[A-Za-z0-9_-]{16,4096}(?![A-Za-z0-9_.-]))"
        + @"|(?<grafana_token>glsa_[A-Za-z0-9]{32}_[A-Fa-f0-9]{8}|glc_[A-Za-z0-9+/]{32,400}={0,2}|eyJrIjoi[A-Za-z0-9]{40,400}={0,2})"
        + @"|(?<age_secret_key>AGE-SECRET-KEY-1[QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L]{58})"
        + @"|(?<atlassian_api_token>ATATT3[A-Za-z0-9_=-]{150,300})"
        + @"|(?<postman_api_key>PMAK-[a-f0-9]{24}-[a-f0-9]{34})"
        + @"|(?<square_token>sq0(?:atp|csp)-[A-Za-z0-9_-]{22,43}|EAAA[A-Za-z0-9_-]{60,80})"
        + @"|(?<vault_token>hv[sbr]\.[A-Za-z0-9_-]{24,400})"
        + @"|(?<doppler_token>dp\.(?:pt|st|sa|ct|scim|audit)\.[A-Za-z0-9]{40,44})"
        + @"|(?<dropbox_token>sl\.[A-Za-z0-9_-]{100,400})"
        + @"|(?<newrelic_key>(?:NRAK-[A-Z0-9]{27}|NRAA-[a-f0-9]{27}|NRI[IQ]-[A-Za-z0-9_-]{32}|NRJS-[a-f0-9]{19}|NRRA-[a-f0-9]{42})(?![A-Za-z0-9_-])|px-(?:api|dep)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
        + @"|(?<sentry_token>sntry[us]_[A-Za-z0-9_=+/.-]{40,400})"
        + @"|(?<teams_webhook>https://[a-z0-9.-]{0,64}(?:outlook\.office|webhook\.office)\.com/webhookb?2?/[0-9a-f-]{36}@[0-9a-f-]{36}/IncomingWebhook/[0-9a-f]{32}/[0-9a-f-]{36})"
        + @"|(?<discord_webhook>https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/[0-9]{17,20}/[A-Za-z0-9_-]{60,80})"
        + @"|(?<docker_hub_token>dckr_(?:pat|oat)_[A-Za-z0-9_-]{27,32})"
        + @"|(?<adafruit_io_key>aio_[A-Za-z0-9]{28}(?![A-Za-z0-9]))"
        + @"|(?<linear_api_key>lin_api_[A-Za-z0-9]{40})"
        + @"|(?<groq_api_key>gsk_[A-Za-z0-9]{52})"
        + @"|(?<xai_api_key>xai-[A-Za-z0-9]{80})"
        + @"|(?<perplexity_api_key>pplx-[A-Za-z0-9]{48})"
        + @"|(?<replicate_token>r8_[A-Za-z0-9]{37})"
        + @"|(?<tailscale_key>tskey-(?:api|auth|client|scim|webhook)-[A-Za-z0-9]{6,20}-[A-Za-z0-9]{16,64})"
        + @"|(?<planetscale_token>pscale_(?:tkn|pw|oauth)_[A-Za-z0-9_.-]{32,64})"
        + @"|(?<supabase_token>sbp_[a-f0-9]{40})"
        + @"|(?<figma_token>figd_[A-Za-z0-9_-]{40})"
        + @"|(?<rubygems_api_key>rubygems_[a-f0-9]{48})"
        + @"|(?<langsmith_api_key>lsv2_(?:pt|sk)_[a-f0-9]{32}_[a-f0-9]{10})"
        + @"|(?<pulumi_token>pul-[a-f0-9]{40})"
        + @"|(?<notion_token>ntn_[A-Za-z0-9]{40,50}|secret_[A-Za-z0-9]{43}(?![A-Za-z0-9]))"
        + @"|(?<nuget_api_key>oy2[a-z0-9]{43}(?![A-Za-z0-9]))"
        + @"|(?<tavily_api_key>tvly-(?:dev-|prod-)?[A-Za-z0-9]{32}(?![A-Za-z0-9]))"
        + @"|(?<dependency_track_api_key>odt_[A-Za-z0-9_]{32,64}(?![A-Za-z0-9]))"
        + @"|(?<firecrawl_api_key>fc-[a-f0-9]{32}(?![A-Za-z0-9]))"
        + @"|(?<sourcegraph_token>sgp_(?:[a-f0-9]{16}_|local_)?[a-f0-9]{40}(?![A-Za-z0-9]))"
        + @"|(?<segment_token>sgp_[A-Za-z0-9]{64}(?![A-Za-z0-9]))"
        + @"|(?<dynatrace_token>dt0c01\.[A-Z0-9]{24}\.[A-Z0-9]{64})"
        + @"|(?<adobe_client_secret>p8e-[A-Za-z0-9_-]{32}(?![A-Za-z0-9]))"
        + @"|(?<twitch_token>oauth:[a-z0-9]{30}(?![A-Za-z0-9]))"
        + @"|(?<twitch_stream_key>live_[0-9]{6,12}_[A-Za-z0-9]{30}(?![A-Za-z0-9]))"
        + @"|(?<twitter_bearer_token>A{22}[A-Za-z0-9%]{30,160})"
        + @"|(?<artifactory_token>AKCp[A-Za-z0-9]{69}(?![A-Za-z0-9])|cmVmd[A-Za-z0-9]{59}(?![A-Za-z0-9]))"
        + @"|(?<sonarqube_token>sq[pau]_[a-f0-9]{40}(?![A-Za-z0-9]))"
        + @"|(?<appsync_api_key>da2-[a-z0-9]{26}(?![A-Za-z0-9]))"
        + @"|(?<cratesio_token>cio[A-Za-z0-9]{32}(?![A-Za-z0-9]))"
        + @"|(?<stackhawk_api_key>hawk\.[A-Za-z0-9_-]{20}\.[A-Za-z0-9_-]{20}(?![A-Za-z0-9_-]))"
        + @"|(?<alibaba_access_key_id>LTAI[A-Za-z0-9]{20}(?![A-Za-z0-9]))"
        + @"|(?<aws_session_token>(?:IQoJb3JpZ2lu|FwoGZXIvYXdz)[A-Za-z0-9+/]{100,3000}={0,2})"
        + @"|(?<firebase_cloud_messaging_key>AAAA[A-Za-z0-9_-]{7}:[A-Za-z0-9_-]{140}(?![A-Za-z0-9_-]))"
        + @"|(?<nvidia_api_key>nvapi-[A-Za-z0-9_-]{64}(?![A-Za-z0-9_-]))"
        + @"|(?<elevenlabs_api_key>sk_[a-f0-9]{48}(?![A-Za-z0-9]))"
        + @"|(?<cloudflare_origin_ca_key>v1\.0-[a-f0-9]{24}-[a-f0-9]{146}(?![A-Za-z0-9]))"
        + @"|(?<asana_token>[0-9]/[0-9]{16}(?:/[0-9]{16})?:[A-Za-z0-9]{32}(?![A-Za-z0-9]))"
        + @"|(?<fly_io_token>fo1_[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-])|fm[12][ar]?_[A-Za-z0-9+/=_-]{100,1000})"
        + @"|(?<pinecone_api_key>pcsk_[A-Za-z0-9_]{50,100})"
        + @"|(?<render_api_key>rnd_[A-Za-z0-9]{32}(?![A-Za-z0-9]))"
        + @"|(?<netlify_token>nfp_[A-Za-z0-9]{36}(?![A-Za-z0-9]))"
        + @"|(?<hubspot_token>pat-(?:na|eu|ap)[0-9]-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
        + @"|(?<mailersend_api_key>mlsn\.[a-f0-9]{64}(?![A-Za-z0-9]))"
        + @"|(?<contentful_token>CFPAT-[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-]))"
        + @"|(?<prefect_api_key>pnu_[A-Za-z0-9]{36}(?![A-Za-z0-9]))"
        + @"|(?<typeform_token>tfp_[A-Za-z0-9_.=-]{44,59}(?![A-Za-z0-9_.=-]))"
        + @"|(?<clojars_token>CLOJARS_[a-z0-9]{60}(?![A-Za-z0-9]))"
        + @"|(?<frameio_token>fio-u-[A-Za-z0-9_=-]{64}(?![A-Za-z0-9_=-]))"
        + @"|(?<flutterwave_key>FLWSECK(?:_TEST)?-[a-h0-9]{32}-X)"
        + @"|(?<easypost_key>EZ[AT]K[A-Za-z0-9]{54}(?![A-Za-z0-9]))"
        + @"|(?<duffel_token>duffel_(?:test|live)_[A-Za-z0-9_=-]{43}(?![A-Za-z0-9_=-]))"
        + @"|(?<shippo_token>shippo_(?:test|live)_[a-f0-9]{40}(?![A-Za-z0-9]))"
        + @"|(?<readme_api_key>rdme_[a-z0-9]{70}(?![A-Za-z0-9]))"
        + @"|(?<scalingo_token>tk-us-[A-Za-z0-9_-]{48}(?![A-Za-z0-9_-]))"
        + @"|(?<harness_token>(?:pat|sat)\.[A-Za-z0-9_-]{22}\.[0-9a-f]{24}\.[A-Za-z0-9]{20}(?![A-Za-z0-9]))"
        + @"|(?<infracost_api_key>ico-[A-Za-z0-9]{32}(?![A-Za-z0-9]))"
        + @"|(?<octopus_deploy_key>API-[A-Z0-9]{26}(?![A-Za-z0-9]))"
        + @"|(?<openshift_token>sha256~[A-Za-z0-9_-]{43}(?![A-Za-z0-9_-]))"
        + @"|(?<onepassword_token>ops_eyJ[A-Za-z0-9+/]{250,4000}={0,3})"
        + @"|(?<bitbucket_app_password>ATBB[A-Za-z0-9]{32}(?![A-Za-z0-9]))"
        + @"|(?<definednet_key>dnkey-[a-z0-9=_-]{26}-[a-z0-9=_-]{52}(?![a-z0-9=_-]))"
        + @"|(?<yandex_key>AQVN[A-Za-z0-9_-]{35,38}(?![A-Za-z0-9_-])|y0_[A-Za-z0-9_-]{55}(?![A-Za-z0-9_-])|YC[A-Za-z0-9_-]{38}(?![A-Za-z0-9_-]))"
        + @"|(?<salesforce_token>00D[0-9A-Za-z]{12,15}![.0-9A-Za-z_]{90,100})"
        + @"|(?<plaid_access_token>access-(?:sandbox|development|production)-[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}(?![A-Za-z0-9]))"
        + @"|(?<facebook_access_token>EAA[A-Za-z0-9]{100,400}(?![A-Za-z0-9]))"
        + @"|(?<password_hash>\$2[abxy]?\$[0-9]{2}\$[./A-Za-z0-9]{53}|\$[156]\$(?:rounds=[0-9]{1,7}\$)?[./A-Za-z0-9]{1,16}\$[./A-Za-z0-9]{22,86}|\$argon2(?:id|i|d)\$v=[0-9]{1,3}\$m=[0-9]{1,9},t=[0-9]{1,5},p=[0-9]{1,3}\$[A-Za-z0-9+/]{8,128}\$[A-Za-z0-9+/]{16,256}|\$krb5(?:asrep|tgs)\$[0-9]{1,3}\$[^\s""']{32,8192})"
        + @")",
        RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture,
        TimeoutMilliseconds)]
    private static partial Regex ProviderPattern();

    /// <summary>Provider formats without a literal prefix: anchored, tried only at the right distance before a marker inside them.</summary>
    [GeneratedRegex(@"\G(?<![A-Za-z0-9])[0-9a-f]{32}-us[0-9]{1,2}(?![A-Za-z0-9])", RegexOptions.CultureInvariant, TimeoutMilliseconds)]
    private static partial Regex MailchimpPattern();

    [GeneratedRegex(@"\G(?<![A-Za-z0-9])[A-Za-z0-9]{52}JQQJ9[A-Za-z0-9]{19}AZDO[A-Za-z0-9]{4}(?![A-Za-z0-9])", RegexOptions.CultureInvariant, TimeoutMilliseconds)]
    private static partial Regex AzureDevOpsPattern();

    [GeneratedRegex(@"\G(?<![A-Za-z0-9_~.-])[A-Za-z0-9_~.-]{3}[0-9]Q~[A-Za-z0-9_~.-]{31,34}(?![A-Za-z0-9_~.-])", RegexOptions.CultureInvariant, TimeoutMilliseconds)]
    private static partial Regex AzureClientSecretPattern();

    [GeneratedRegex(@"\G(?:(?<=bot)|(?<![A-Za-z0-9:]))[0-9]{8,10}:AA[A-Za-z0-9_-]{32,33}(?![A-Za-z0-9_-])", RegexOptions.CultureInvariant, TimeoutMilliseconds)]
    private static partial Regex TelegramPattern();

    /// <summary>HCP Terraform / Terraform Enterprise API tokens: 14 characters, <c>.atlasv1.</c>, 60-70 more.</summary>
    [GeneratedRegex(@"\G(?<![A-Za-z0-9])[A-Za-z0-9]{14}\.atlasv1\.[A-Za-z0-9_=-]{60,70}(?![A-Za-z0-9_=-])", RegexOptions.CultureInvariant, TimeoutMilliseconds)]
    private static partial Regex TerraformPattern();

    /// <summary>Braintree access tokens: <c>access_token$production$</c> (or <c>$sandbox$</c>), a merchant id of 16, <c>$</c>, 32 hex.</summary>
    [GeneratedRegex(@"\Gaccess_token\$(?:production|sandbox)\$[0-9a-z]{16}\$[0-9a-f]{32}(?![A-Za-z0-9])", RegexOptions.CultureInvariant, TimeoutMilliseconds)]
    private static partial Regex BraintreePattern();

    /// <summary>
    /// The signature of a signed URL (an Azure shared access signature's <c>sig</c>, an S3 or Cloud
    /// Storage presigned URL's <c>X-Amz-Signature</c> or <c>X-Goog-Signature</c>): whoever holds the
    /// URL has the access it grants until it expires.
    /// </summary>
    [GeneratedRegex(@"[?&](?:sig|X-Amz-Signature|X-Goog-Signature)=(?<value>[A-Za-z0-9%+/_-]{40,1024})(?![A-Za-z0-9%+/_-])", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, TimeoutMilliseconds)]
    private static partial Regex SignedUrlPattern();

    /// <summary>Web3 RPC provider keys in their endpoint URLs: Infura <c>infura.io/v3/</c> + 32 hex, Alchemy <c>alchemy.com/v2/</c> + 32.</summary>
    [GeneratedRegex(@"(?:\.infura\.io/v3/(?<value>[0-9a-f]{32})|\.alchemy(?:api)?\.(?:io|com)/v2/(?<value>[A-Za-z0-9_-]{32}))(?![A-Za-z0-9_-])", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, TimeoutMilliseconds)]
    private static partial Regex Web3RpcPattern();

    /// <summary>Discord bot tokens: the bot's user id in base64url (starting M, N or O), '.', 6, '.', 27 to 38.</summary>
    [GeneratedRegex(@"\G[MNO][A-Za-z0-9_-]{22,26}\.[A-Za-z0-9_-]{6}\.[A-Za-z0-9_-]{27,38}(?![A-Za-z0-9_-])", RegexOptions.CultureInvariant, TimeoutMilliseconds)]
    private static partial Regex DiscordBotTokenPattern();

    /// <summary>TrueNAS API keys: a numeric key id, '-', 64 letters and digits.</summary>
    [GeneratedRegex(@"\G[1-9][0-9]{0,3}-[A-Za-z0-9]{64}(?![A-Za-z0-9])", RegexOptions.CultureInvariant, TimeoutMilliseconds)]
    private static partial Regex TrueNasPattern();

    /// <summary>Passwords as positional arguments of .NET credential constructors: <c>new NetworkCredential("user", "pass")</c>, <c>new DirectoryEntry("LDAP://...", "user", "pass")</c>.</summary>
    [GeneratedRegex(@"(?:DirectoryEntry\(\s*""[^""\n]{0,512}""\s*,|NetworkCredential\()\s*""[^""\n]{1,128}""\s*,\s*""(?<value>[^""\n]{1,128})""", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, TimeoutMilliseconds)]
    private static partial Regex CredentialConstructorPattern();

    /// <summary>
    /// Vault unseal keys (base64 of 32 or 33 bytes) where Vault prints them (<c>Unseal Key 1: ...</c>
    /// after <c>vault operator init</c>) and where an operator types one (<c>vault operator unseal ...</c>).
    /// </summary>
    [GeneratedRegex(@"(?:\b[Uu]nseal [Kk]ey(?: [0-9]{1,2})?:|\boperator unseal(?: -[a-z-]{1,32}(?:=[^\s]{1,64})?)*)[ \t]+['""]?(?<value>[A-Za-z0-9+/]{43,44}={0,1})(?![A-Za-z0-9+/=])", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, TimeoutMilliseconds)]
    private static partial Regex VaultUnsealKeyPattern();

    /// <summary>ThingsBoard device access tokens in the documented HTTP device API path.</summary>
    [GeneratedRegex(@"/api/v1/(?<value>[A-Za-z0-9]{20})/(?:telemetry|attributes|rpc|claim)", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, TimeoutMilliseconds)]
    private static partial Regex ThingsBoardPattern();

    /// <summary><c>curl -u user:password</c>, <c>--user user:password</c>, <c>-u user -p password</c> (PsExec, many CLIs): the password.</summary>
    [GeneratedRegex(@"(?<![A-Za-z0-9-])(?:(?:-u|--user)[ =]+['""]?[^\s:'""$]{1,128}:(?<value>[^\s'""]{1,128})|-u[ ]+[^\s]{1,128}[ ]+-p[ ]+(?<value>[^\s'""]{1,128}))", RegexOptions.CultureInvariant | RegexOptions.ExplicitCapture, TimeoutMilliseconds)]
    private static partial Regex UserOptionPattern();

    private static readonly int[] ProviderGroups = ProviderPattern().GetGroupNumbers().Where(n => n > 0).ToArray();
    private static readonly string[] ProviderKinds = [.. ProviderGroups.Select(n => ProviderPattern().GroupNameFromNumber(n).Replace('_', '-'))];

    /// <summary>The secrets in <paramref name="text"/>, ordered by position, none overlapping.</summary>
    /// <exception cref="SecretTextTooDenseException">The text holds more than <see cref="MaxCandidates"/> candidates.</exception>
    public List<SecretMatch> Find(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var found = new Found(text);
        if (text.Length < 4)
        {
            return found.Matches;
        }

        var span = text.AsSpan();

        // Most prompts are prose: short words, no long token, no "://", no "-----", no secret-ish
        // name. Each check below is one scan, and the patterns run only behind them.
        if (span.Contains("-----BEGIN", StringComparison.Ordinal))
        {
            AddPrivateKeys(found);
        }

        AddProviders(found);

        if (span.Contains("://", StringComparison.Ordinal))
        {
            AddUrlCredentials(found);
            if (span.IndexOfAny(UrlKeyMarkers) >= 0)
            {
                AddValues(found, SignedUrlPattern(), "signed-url-signature");
                AddValues(found, Web3RpcPattern(), "web3-rpc-key");
            }
        }

        if (span.IndexOfAny(Keywords) >= 0)
        {
            AddAssignments(found);
        }

        if (span.IndexOfAny(AsciiLocalizedPasswordNames) >= 0 || (!System.Text.Ascii.IsValid(span) && span.IndexOfAny(LocalizedPasswordNames) >= 0))
        {
            AddLocalizedPasswords(found);
        }

        if (span.Contains("DirectoryEntry(", StringComparison.Ordinal) || span.Contains("NetworkCredential(", StringComparison.Ordinal))
        {
            foreach (Match match in CredentialConstructorPattern().Matches(text))
            {
                found.Count();
                var value = match.Groups["value"];
                if (IsPasswordLiteral(value.ValueSpan, "password", quoted: true))
                {
                    found.Add(SecretKinds.Password, value.Index, value.Length);
                }
            }
        }

        if (span.Contains("/api/v1/", StringComparison.Ordinal))
        {
            AddValues(found, ThingsBoardPattern(), "thingsboard-access-token");
        }

        if (span.ContainsAny(UnsealMarker))
        {
            foreach (Match match in VaultUnsealKeyPattern().Matches(text))
            {
                found.Count();
                var value = match.Groups["value"];
                if (HasDigitAndLetter(value.ValueSpan) && HasMixedCase(value.ValueSpan) && !IsDocumentationValue(value.ValueSpan))
                {
                    found.Add("vault-unseal-key", value.Index, value.Length);
                }
            }
        }

        if (span.Contains("-u ", StringComparison.Ordinal) || span.Contains("--user", StringComparison.Ordinal))
        {
            foreach (Match match in UserOptionPattern().Matches(text))
            {
                found.Count();
                var value = match.Groups["value"];
                if (IsPasswordLiteral(value.ValueSpan, "user", quoted: false))
                {
                    found.Add(SecretKinds.Password, value.Index, value.Length);
                }
            }
        }

        found.Matches.Sort(static (a, b) => a.Start.CompareTo(b.Start));
        return found.Matches;
    }

    /// <summary>Each match's <c>value</c> group, when it has letters and digits and is not a documentation value.</summary>
    private static void AddValues(Found found, Regex pattern, string kind)
    {
        foreach (Match match in pattern.Matches(found.Text))
        {
            found.Count();
            var value = match.Groups["value"];
            if (HasDigitAndLetter(value.ValueSpan) && !IsDocumentationValue(value.ValueSpan))
            {
                found.Add(kind, value.Index, value.Length);
            }
        }
    }

    /// <summary>
    /// Provider tokens: the pattern is tried (anchored) only where a token can start: at the start
    /// of a run of token characters at least <see cref="MinTokenRun"/> long, or after a separator
    /// inside one (KEY=AKIA..., //hooks.slack.com/...). Prose words are never tried, and a try
    /// fails on its first characters unless they are a known prefix.
    /// </summary>
    private static void AddProviders(Found found)
    {
        var text = found.Text;
        var start = 0;
        for (var i = 0; i <= text.Length; i++)
        {
            if (i < text.Length && IsRunChar(text[i]))
            {
                continue;
            }

            if (i - start >= MinTokenRun)
            {
                ScanRun(found, start, i);
            }

            start = i + 1;
        }

        AddBefore(found, "-us", 32, 32, MailchimpPattern(), SecretKinds.MailchimpApiKey);
        AddBefore(found, "AZDO", 76, 76, AzureDevOpsPattern(), SecretKinds.AzureDevOpsToken);
        AddBefore(found, "Q~", 4, 4, AzureClientSecretPattern(), SecretKinds.AzureClientSecret);
        AddBefore(found, ":AA", 8, 10, TelegramPattern(), "telegram-bot-token");
        AddBefore(found, ".atlasv1.", 14, 14, TerraformPattern(), "terraform-token");
        AddBefore(found, "$production$", 12, 12, BraintreePattern(), "braintree-access-token");
        AddBefore(found, "$sandbox$", 12, 12, BraintreePattern(), "braintree-access-token");
    }

    /// <summary>Each occurrence of <paramref name="marker"/>: the anchored pattern tried <paramref name="nearest"/> to <paramref name="farthest"/> characters before it.</summary>
    private static void AddBefore(Found found, string marker, int nearest, int farthest, Regex anchored, string kind)
    {
        var text = found.Text;
        var at = text.IndexOf(marker, StringComparison.Ordinal);
        while (at >= 0)
        {
            for (var back = farthest; back >= nearest; back--)
            {
                if (at - back >= 0 && anchored.Match(text, at - back) is { Success: true } match)
                {
                    found.Count();
                    found.Add(kind, match.Index, match.Length);
                    break;
                }
            }

            at = at + marker.Length < text.Length ? text.IndexOf(marker, at + marker.Length, StringComparison.Ordinal) : -1;
        }
    }

    private static void ScanRun(Found found, int start, int end)
    {
        var text = found.Text;
        for (var at = start; at < end - 7; at++)
        {
            if (at > start && char.IsAsciiLetterOrDigit(text[at - 1]) && !StartsGluedPrefix(text.AsSpan(at)))
            {
                continue;
            }

            if (!ProviderStarts.Contains((text[at] << 16) | text[at + 1]))
            {
                if (char.IsAsciiDigit(text[at]) && end - at >= 66 && TrueNasPattern().Match(text, at) is { Success: true } key
                    && HasDigitAndLetter(key.ValueSpan) && HasMixedCase(key.ValueSpan) && !IsDocumentationValue(key.ValueSpan))
                {
                    found.Count();
                    found.Add("truenas-api-key", key.Index, key.Length);
                    at = key.Index + key.Length - 1;
                }
                else if (text[at] is 'M' or 'N' or 'O' && end - at >= 59 && DiscordBotTokenPattern().Match(text, at) is { Success: true } bot
                    && IsSnowflakeId(bot.ValueSpan) && !IsDocumentationValue(bot.ValueSpan))
                {
                    found.Count();
                    found.Add("discord-bot-token", bot.Index, bot.Length);
                    at = bot.Index + bot.Length - 1;
                }

                continue;
            }

            var match = ProviderPattern().Match(text, at);
            if (!match.Success)
            {
                continue;
            }

            found.Count();
            for (var g = 0; g < ProviderGroups.Length; g++)
            {
                if (match.Groups[ProviderGroups[g]].Success)
                {
                    var kind = ProviderKinds[g];
                    var value = match.ValueSpan;
                    if ((kind != SecretKinds.SkApiKey || HasDigitAndLetter(value[3..]))
                        && (kind != SecretKinds.Jwt || IsJwtHeader(value))
                        && !IsDocumentationValue(kind == "twitter-bearer-token" ? value.TrimStart('A') : value))
                    {
                        found.Add(kind, match.Index, match.Length);
                    }

                    // A token in a documentation or placeholder form is skipped whole (not read again from inside).
                    at = match.Index + match.Length - 1;

                    break;
                }
            }
        }
    }

    /// <summary>
    /// Prefixes distinctive enough (with their own '_' or '-') that a token glued to a word
    /// ("tokenghp_...", "keyxoxb-...") is still read: a model told to glue a letter before a key
    /// must not carry it past the filter.
    /// </summary>
    private static bool StartsGluedPrefix(ReadOnlySpan<char> text) =>
        text.StartsWith("gh", StringComparison.Ordinal) && text.Length > 4 && text[2] is 'p' or 'o' or 'u' or 's' or 'r' && text[3] == '_'
        || text.StartsWith("github_pat_", StringComparison.Ordinal)
        || text.StartsWith("glpat-", StringComparison.Ordinal)
        || text.StartsWith("xox", StringComparison.Ordinal) && text.Length > 4 && text[3] is 'b' or 'p' or 'a' or 'r' && text[4] == '-'
        || text.StartsWith("sk-ant-", StringComparison.Ordinal)
        || text.StartsWith("sk-proj-", StringComparison.Ordinal);

    /// <summary>PEM and OpenSSH private key blocks, BEGIN line to END line (or to the end of the key body when the END line is missing).</summary>
    private static void AddPrivateKeys(Found found)
    {
        var text = found.Text;
        var from = 0;
        while (from < text.Length)
        {
            var begin = text.IndexOf("-----BEGIN", from, StringComparison.Ordinal);
            if (begin < 0)
            {
                return;
            }

            found.Count();
            var labelStart = begin + 10;
            var labelEnd = text.IndexOf("-----", labelStart, Math.Min(80, text.Length - labelStart), StringComparison.Ordinal);
            if (labelEnd < 0)
            {
                from = labelStart;
                continue;
            }

            var label = text.AsSpan(labelStart, labelEnd - labelStart);
            var headerEnd = labelEnd + 5;
            if (!label.Contains("PRIVATE KEY", StringComparison.Ordinal))
            {
                from = headerEnd;
                continue;
            }

            // The body: base64 lines, possibly with escaped line breaks ("\n" in JSON) and PEM headers.
            var end = text.IndexOf("-----END", headerEnd, StringComparison.Ordinal);
            int bodyEnd;
            int blockEnd;
            if (end >= 0)
            {
                bodyEnd = end;
                var close = text.IndexOf("-----", end + 8, Math.Min(80, text.Length - end - 8), StringComparison.Ordinal);
                blockEnd = close >= 0 ? close + 5 : end + 8;
            }
            else
            {
                bodyEnd = headerEnd;
                while (bodyEnd < text.Length && (char.IsAsciiLetterOrDigit(text[bodyEnd]) || text[bodyEnd] is '+' or '/' or '=' or '\\' or '\r' or '\n' or ' ' or '\t' or ':' or ',' or '-'))
                {
                    bodyEnd++;
                }

                blockEnd = bodyEnd;
            }

            var base64 = 0;
            foreach (var c in text.AsSpan(headerEnd, bodyEnd - headerEnd))
            {
                base64 += char.IsAsciiLetterOrDigit(c) || c is '+' or '/' ? 1 : 0;
            }

            // A real key has hundreds of base64 characters; "-----BEGIN PRIVATE KEY-----\n...\n" in documentation has none.
            if (base64 >= 64)
            {
                while (blockEnd > begin && char.IsWhiteSpace(text[blockEnd - 1]))
                {
                    blockEnd--;
                }

                found.Add(SecretKinds.PrivateKey, begin, blockEnd - begin);
            }

            from = Math.Max(blockEnd, headerEnd);
        }
    }

    /// <summary><c>scheme://user:password@host</c>: the password (or a token used as the user name).</summary>
    private static void AddUrlCredentials(Found found)
    {
        var text = found.Text;
        var from = 0;
        while (from < text.Length)
        {
            var sep = text.IndexOf("://", from, StringComparison.Ordinal);
            if (sep < 0)
            {
                return;
            }

            found.Count();
            from = sep + 3;
            if (sep == 0 || !char.IsAsciiLetter(text[sep - 1]))
            {
                continue;
            }

            // The authority ends at the first '/', '?', '#', white space or quote; the user info at its last '@'.
            var start = sep + 3;
            var end = start;
            var at = -1;
            while (end < text.Length && end - start < 512 && text[end] is not ('/' or '?' or '#' or '"' or '\'' or '`' or '<' or '>' or '(' or ')' or '[' or ']' or '{' or '}') && !char.IsWhiteSpace(text[end]))
            {
                if (text[end] == '@')
                {
                    at = end;
                }

                end++;
            }

            if (at < 0)
            {
                continue;
            }

            from = at + 1;
            var colon = text.IndexOf(':', start, at - start);
            if (colon < 0)
            {
                // A token as the user name (https://TOKEN@github.com/...): only when it looks random.
                if (IsHighEntropy(text.AsSpan(start, at - start)))
                {
                    found.Add(SecretKinds.UrlCredentials, start, at - start);
                }

                continue;
            }

            var password = text.AsSpan(colon + 1, at - colon - 1);
            var user = text.AsSpan(start, colon - start);
            if (password.Length > 0 && !IsPlaceholder(password, user) && password[0] is not ('$' or '%' or '{' or '*') && !password.ContainsAny('{', '}'))
            {
                found.Add(SecretKinds.UrlCredentials, colon + 1, password.Length);
            }
        }
    }

    private enum NameClass
    {
        None,
        Password,
        Secret,
        Token,
        Bearer,
    }

    /// <summary>Values assigned to (or following) a secret-ish name: <c>api_key = "..."</c>, <c>"token": "..."</c>, <c>PASSWORD=...</c>, <c>--password ...</c>, <c>Authorization: Bearer ...</c>.</summary>
    /// <summary>A name that ends in a "pass" word: pass, db_pass, SMTP_PASS, userPass, dbpass (not bypass, compass, moltpass).</summary>
    private static bool EndsWithPass(ReadOnlySpan<char> name)
    {
        if (!name.EndsWith("pass", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        var before = name[..^4].TrimStart('-');
        return before.IsEmpty || before[^1] is '_' or '-' or '.' || name[^4] == 'P' || (before.Length <= 2 && !before.Equals("by", StringComparison.OrdinalIgnoreCase));
    }

    private static void AddAssignments(Found found)
    {
        var text = found.Text;
        var span = text.AsSpan();
        var from = 0;
        while (from < text.Length)
        {
            var hit = span[from..].IndexOfAny(Keywords);
            if (hit < 0)
            {
                return;
            }

            hit += from;
            found.Count();

            // The whole name the keyword is part of (AWS_SECRET_ACCESS_KEY, clientSecret, x-api-key).
            var (nameStart, nameEnd) = NameAround(text, hit, 1);
            from = nameEnd;
            while (nameEnd > hit + 1 && text[nameEnd - 1] is '.' or '-')
            {
                nameEnd--;
            }

            from = Math.Max(from, TryAssignment(found, nameStart, nameEnd));
        }
    }

    /// <summary>
    /// Values after "password" in another language (<see cref="LocalizedPasswordWords"/>), read like
    /// an English password name's: an operator and a literal, or a quoted name and its value.
    /// </summary>
    private static void AddLocalizedPasswords(Found found)
    {
        var text = found.Text;
        var span = text.AsSpan();
        var from = 0;
        while (from < text.Length)
        {
            var hit = span[from..].IndexOfAny(LocalizedPasswordNames);
            if (hit < 0)
            {
                return;
            }

            hit += from;
            found.Count();
            var length = 0;
            foreach (var word in LocalizedPasswordWords)
            {
                if (word.Length > length && span[hit..].StartsWith(word, StringComparison.OrdinalIgnoreCase))
                {
                    length = word.Length;
                }
            }

            // The name the word is part of (db_passwort, senhaAdmin), whose parts it must be one of:
            // not "resenha" or "Kennwortänderung". Scripts written without spaces have no such edge.
            var (nameStart, nameEnd) = NameAround(text, hit, length, anyLetter: true);

            from = hit + length;
            var spaced = !IsUnspacedScript(text[hit]) && !IsHebrew(text[hit]);
            var partStart = hit == nameStart || text[hit - 1] is '_' or '-' or '.' || (char.IsAsciiLetterLower(text[hit - 1]) && char.IsUpper(text[hit]));
            var partEnd = hit + length == nameEnd || text[hit + length] is '_' or '-' or '.' || char.IsAsciiLetterUpper(text[hit + length]) || char.IsAsciiDigit(text[hit + length]);
            if (spaced && (!partStart || !partEnd || (nameStart > 0 && IsWordChar(text[nameStart - 1])) || (nameEnd < text.Length && IsWordChar(text[nameEnd]))))
            {
                continue;
            }

            from = Math.Max(from, TryAssignment(found, spaced ? nameStart : hit, spaced ? nameEnd : hit + length, NameClass.Password));
        }
    }

    /// <summary>
    /// The identifier around the <paramref name="length"/> characters at <paramref name="hit"/>, at
    /// most 128 characters further each way; with <paramref name="anyLetter"/> letters of any script
    /// are part of it (мой_пароль, пароль_бд), otherwise only ASCII ones.
    /// </summary>
    private static (int Start, int End) NameAround(string text, int hit, int length, bool anyLetter = false)
    {
        var start = hit;
        while (start > 0 && hit - start < 128 && (IsNameChar(text[start - 1]) || (anyLetter && IsWordChar(text[start - 1]))))
        {
            start--;
        }

        var end = hit + length;
        while (end < text.Length && end - hit < 128 && (IsNameChar(text[end]) || (anyLetter && IsWordChar(text[end]))))
        {
            end++;
        }

        return (start, end);
    }

    /// <summary>Han, kana, Hangul and Thai: scripts that do not put spaces between words.</summary>
    private static bool IsUnspacedScript(char c) => c is (>= '\u0E00' and <= '\u0E7F') or (>= '\u3040' and <= '\u30FF') or (>= '\u3400' and <= '\u9FFF') or (>= '\uAC00' and <= '\uD7AF');

    /// <summary>Hebrew, whose article and prepositions are written onto the word (הסיסמה, "the password").</summary>
    private static bool IsHebrew(char c) => c is >= '\u0590' and <= '\u05FF';

    private static bool IsWordChar(char c) => char.IsLetterOrDigit(c) || char.GetUnicodeCategory(c) is UnicodeCategory.NonSpacingMark or UnicodeCategory.SpacingCombiningMark;

    private static readonly SearchValues<char> AsciiLettersAndDigits = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789");
    private static readonly SearchValues<char> AwsSecretChars = SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");

    private static bool IsNameChar(char c) => char.IsAsciiLetterOrDigit(c) || c is '_' or '-' or '.';

    /// <summary>
    /// Names that contain a keyword but do not hold a secret: other words (keyboard, author, bypass)
    /// and names of things about a secret (secret_name, key_id). Checked only for a name whose value
    /// would be reported: most names never get that far.
    /// </summary>
    private static bool IsNotSecretName(ReadOnlySpan<char> name)
    {
        Span<char> lower = stackalloc char[name.Length];
        name.ToLowerInvariant(lower);
        foreach (var word in NotSecretNames)
        {
            if (lower.Contains(word, StringComparison.Ordinal) && !(word == "author" && lower.Contains("authoriz", StringComparison.Ordinal)))
            {
                return true;
            }
        }

        return NamesMetadata(name);
    }

    private static NameClass Classify(ReadOnlySpan<char> name)
    {
        Span<char> lower = stackalloc char[name.Length];
        name.ToLowerInvariant(lower);
        var trimmed = lower.TrimStart('-');
        if (trimmed.SequenceEqual("bearer"))
        {
            return NameClass.Bearer;
        }

        if (lower.Contains("password", StringComparison.Ordinal) || lower.Contains("passwd", StringComparison.Ordinal)
            || lower.Contains("passphrase", StringComparison.Ordinal) || lower.Contains("pwd", StringComparison.Ordinal)
            || EndsWithPass(name) || lower.Contains("pass_", StringComparison.Ordinal))
        {
            return NameClass.Password;
        }

        if (lower.Contains("secret", StringComparison.Ordinal))
        {
            return NameClass.Secret;
        }

        return lower.Contains("token", StringComparison.Ordinal) || lower.Contains("key", StringComparison.Ordinal) || lower.Contains("auth", StringComparison.Ordinal)
            || lower.Contains("credential", StringComparison.Ordinal) || lower.Contains("login", StringComparison.Ordinal)
            || lower.Contains("crumb", StringComparison.Ordinal) || lower.EndsWith("reporter_id", StringComparison.Ordinal)
            ? NameClass.Token
            : NameClass.None;
    }

    /// <summary>Last name parts that describe a secret instead of holding it (secret_name, key_id, token_url, passwordField).</summary>
    private static readonly HashSet<string> MetadataParts = new(StringComparer.OrdinalIgnoreCase)
    {
        "name", "names", "id", "ids", "file", "filename", "path", "url", "uri", "arn", "ref", "type", "len", "length", "size", "field", "label",
        "env", "var", "header", "manager", "store", "provider", "mode", "format", "count", "expiry", "expires", "expiration", "at", "time",
        "endpoint", "prefix", "suffix", "hint", "policy", "version", "location", "dir", "enabled", "required", "min", "max", "regex", "pattern",
        "input", "placeholder", "prompt", "message", "error", "changed", "reset", "strength", "confirmation", "visible", "visibility", "hash", "salt", "ttl",
    };

    private static bool NamesMetadata(ReadOnlySpan<char> name)
    {
        var end = name.Length;
        var start = end - 1;
        while (start > 0 && name[start - 1] is not ('_' or '-' or '.') && !(char.IsAsciiLetterUpper(name[start]) && char.IsAsciiLetterLower(name[start - 1])))
        {
            start--;
        }

        // A CI reporter id (CodeClimate's CC_TEST_REPORTER_ID) is a write credential despite its name.
        return start > 0 && MetadataParts.GetAlternateLookup<ReadOnlySpan<char>>().Contains(name[start..end])
            && !name.EndsWith("reporter_id", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>Examines one name; returns where the keyword search goes on (after the value it read, so a quoted value is not read as a name).</summary>
    private static int TryAssignment(Found found, int nameStart, int nameEnd, NameClass known = NameClass.None)
    {
        var text = found.Text;
        var name = text.AsSpan(nameStart, nameEnd - nameStart);

        // Most names in code are not assigned a value here (token_store.get(...), the key to...): no
        // operator, no flag dash, and not a password or Bearer name that may go without one.
        var after = SkipBlanks(text, nameEnd < text.Length && text[nameEnd] is '"' or '\'' ? nameEnd + 1 : nameEnd);
        if (name[0] != '-' && (after >= text.Length || text[after] is not ('=' or ':' or '：' or ',' or '!' or ']' or '>'))
            && !(after < text.Length && text[after] is 'v' or 'V' && nameStart > 0 && text[nameStart - 1] == '"' && IsAppSetting(text, nameStart, after))
            && !(after < text.Length && text[after] == '{' && nameStart > 0 && text[nameStart - 1] == '"' && TerraformDefault(text, nameStart, after) > 0)
            && !name.Contains("pass", StringComparison.OrdinalIgnoreCase) && !name.Contains("pwd", StringComparison.OrdinalIgnoreCase)
            && !name.Contains("bearer", StringComparison.OrdinalIgnoreCase))
        {
            return nameEnd;
        }

        var kind = known == NameClass.None ? Classify(name) : known;
        if (kind == NameClass.None || IsAppSettingKeyAttribute(text, name, nameEnd))
        {
            return nameEnd;
        }

        var flag = name[0] == '-';
        var p = nameEnd;

        // A quoted name ("api_key": ..., 'token' => ..., ["password"] = ...) and an XML element (<password>...</password>).
        var quote = nameStart > 0 ? text[nameStart - 1] : '\0';
        var quotedName = false;
        if (quote is '"' or '\'' && p < text.Length && text[p] == quote)
        {
            p++;
            var opener = nameStart - 2;
            while (opener >= 0 && text[opener] is ' ' or '\t')
            {
                opener--;
            }

            quotedName = opener >= 0 && text[opener] is '(' or ',';
            if (p < text.Length && text[p] == ']')
            {
                p++;
            }
        }

        var element = quote == '<' && p < text.Length && text[p] == '>';
        p = SkipBlanks(text, p);
        var op = Operator(text, p, quotedName);
        var mustQuote = op == 1 && text[p] == ',';
        if (op == 0 && quote == '"' && IsAppSetting(text, nameStart, p))
        {
            // A .NET appSettings entry: <add key="SmtpPassword" value="..." />.
            op = "value=".Length;
            mustQuote = true;
        }
        else if (op == 0 && quote == '"' && TerraformDefault(text, nameStart, p) is > 0 and var assign)
        {
            // A Terraform variable's default: variable "db_password" { default = "..." }.
            p = assign;
            op = 1;
            mustQuote = true;
        }
        if (element)
        {
            op = 1;
        }

        if (op == 0)
        {
            // Without an operator: a command-line flag (--password x, -Token x), "Bearer x", or a
            // netrc line ("password x" at the start of a line).
            var netrc = kind == NameClass.Password && name.Length <= 8 && LineStart(text, nameStart) && IsNetrc(text, nameStart);
            if (!(flag || kind == NameClass.Bearer || netrc))
            {
                // Or a sentence that quotes it: "the password for user 'postgres' is 'admin'".
                var clause = kind == NameClass.Password ? QuotedIsClause(text, nameEnd) : -1;
                if (clause < 0)
                {
                    return nameEnd;
                }

                p = clause;
                mustQuote = true;
            }
            else if (p == nameEnd || p >= text.Length)
            {
                return nameEnd;
            }
        }
        else
        {
            p = SkipBlanks(text, p + op);

            // YAML: the value on the next line ("access_token:\n    'ya29...'").
            if (p < text.Length && text[p] is '\n' or '\r' && op == 1 && text[p - 1] == ':')
            {
                var next = SkipBlanks(text, p + (text[p] == '\r' && p + 1 < text.Length && text[p + 1] == '\n' ? 2 : 1));
                if (next < text.Length && text[next] is '"' or '\'')
                {
                    p = next;
                }
            }
        }

        if (p >= text.Length)
        {
            return nameEnd;
        }

        // An authorization scheme before the value (Authorization: Bearer x, "token x", Basic x).
        var scheme = Scheme(text, p);
        if (scheme > 0)
        {
            p = SkipBlanks(text, p + scheme);
            kind = NameClass.Bearer;
        }

        int start, end;
        char terminator;
        var quoted = p < text.Length && text[p] is '"' or '\'' or '`' or '“' or '「' or '『';
        if (quoted)
        {
            // Full-width and typographic quotes close with their own pair.
            var q = text[p] switch { '“' => '”', '「' => '」', '『' => '』', var same => same };
            start = p + 1;
            end = start;
            while (end < text.Length && end - start <= MaxValueLength && text[end] != q && text[end] != '\n')
            {
                end++;
            }

            if (end >= text.Length || text[end] != q || end - start > MaxValueLength)
            {
                return nameEnd;
            }

            terminator = q;

            // Nested quotes ('"value"') and a scheme inside the quotes ("Bearer x").
            while (end - start >= 2 && text[start] is '"' or '\'' && text[end - 1] == text[start])
            {
                start++;
                end--;
            }

            var inner = Scheme(text, start, end);
            if (inner > 0)
            {
                start = SkipBlanks(text, start + inner);
                kind = NameClass.Bearer;
            }
        }
        else
        {
            start = p;
            end = p;
            // '&' ends a value only in a URL query (?token=...&next=1), not in a password (Password=a&b;).
            var query = nameStart > 0 && text[nameStart - 1] is '?' or '&';
            while (end < text.Length && end - start <= MaxValueLength && !char.IsWhiteSpace(text[end]) && text[end] is not ('"' or '\'' or '`' or ',' or ';' or ')' or ']' or '}' or '<' or '>' or '(' or '[' or '。' or '，' or '、' or '；' or '）' or '？' or '！' or '”' or '」' or '』') && !(query && text[end] == '&'))
            {
                end++;
            }

            if (end - start > MaxValueLength)
            {
                return nameEnd;
            }

            terminator = end < text.Length ? text[end] : '\n';
            while (end > start && text[end - 1] is '.' or ':')
            {
                end--;
            }
        }

        if (end <= start || (mustQuote && !quoted))
        {
            return end;
        }

        var value = text.AsSpan(start, end - start);
        if (!quoted && (terminator is '(' or '[' || IsCodeReference(value)))
        {
            return end;
        }

        // A quoted "$name" is the shell's (or PHP's, Perl's) variable, expanded where it is used;
        // an AWS resource name (arn:aws:iam::...) names a resource, it does not unlock one.
        if ((quoted && value.Length > 1 && value[0] == '$' && IsIdentifierWord(value[1..])) || value.StartsWith("arn:", StringComparison.Ordinal))
        {
            return end;
        }

        string result;
        switch (kind)
        {
            case NameClass.Bearer:
                if (!IsHighEntropy(value) && !IsBasicCredentials(value))
                {
                    return end;
                }

                result = SecretKinds.AuthorizationHeader;
                break;
            case NameClass.Token:
                if (!IsHighEntropy(value))
                {
                    return end;
                }

                result = SecretKinds.GenericHighEntropy;
                break;
            default:
                if (IsHighEntropy(value))
                {
                    result = SecretKinds.GenericHighEntropy;
                    break;
                }

                var connection = !quoted && text[start - 1] == '=' && IsConnectionString(text, nameStart, terminator);
                if (!IsPasswordLiteral(value, name, quoted || connection) || (!quoted && !PasswordContextOk(text, start, end, terminator)))
                {
                    return end;
                }

                result = kind == NameClass.Password ? SecretKinds.Password : SecretKinds.GenericSecret;
                break;
        }

        // The cheap, usually failing checks above first; these on the few values that pass them.
        if (IsPlaceholder(value, name) || IsNotSecretName(name))
        {
            return end;
        }

        // A provider's prefix on a value its pattern did not take: a near miss, not reported here.
        // (When the pattern did take it, the provider match already covers the value.)
        foreach (var prefix in ProviderPrefixes)
        {
            if (value.StartsWith(prefix, StringComparison.Ordinal))
            {
                return end;
            }
        }

        var lowerName = name.ToString().ToLowerInvariant();
        if (value.Length > 2 && value[1] == '.' && value[0] is 's' or 'r' or 'b' && value[2..].IndexOfAnyExcept(AsciiLettersAndDigits) < 0)
        {
            // Vault service, batch and recovery tokens before 1.10: "s.", "b." or "r." and at least
            // 24 letters and digits (batch tokens are longer); shorter is not one.
            if (value.Length < 26)
            {
                return end;
            }

            result = "vault-token";
        }

        if (lowerName.Contains("aws", StringComparison.Ordinal) && lowerName.Contains("secret", StringComparison.Ordinal))
        {
            // An AWS secret access key is 40 base64 characters; another length or alphabet is not one.
            if (value.Length != 40 || value.IndexOfAnyExcept(AwsSecretChars) >= 0)
            {
                return end;
            }

            result = SecretKinds.AwsSecretAccessKey;
        }
        else if (lowerName.Contains("heroku", StringComparison.Ordinal))
        {
            result = SecretKinds.HerokuApiKey;
        }
        else if (lowerName is "accountkey" or "sharedaccesskey")
        {
            result = SecretKinds.AzureStorageKey;
        }
        else if (result == SecretKinds.Password && !quoted && text[p - 1] == '=' && IsConnectionString(text, nameStart, terminator))
        {
            result = SecretKinds.ConnectionStringPassword;
        }

        found.Add(result, start, end - start);
        return end;
    }

    private static int SkipBlanks(string text, int p)
    {
        while (p < text.Length && text[p] is ' ' or '\t')
        {
            p++;
        }

        return p;
    }

    /// <summary><c>key="..."</c> of an appSettings entry: the attribute names the setting, its value is a name, not a key.</summary>
    private static bool IsAppSettingKeyAttribute(string text, ReadOnlySpan<char> name, int nameEnd)
    {
        if (!name.Equals("key", StringComparison.OrdinalIgnoreCase) || nameEnd + 2 >= text.Length || text[nameEnd] != '=' || text[nameEnd + 1] != '"')
        {
            return false;
        }

        // The setting's name is the quoted text after key=; the entry's value attribute follows it.
        var setting = nameEnd + 2;
        var close = text.AsSpan(setting, Math.Min(MaxValueLength, text.Length - setting)).IndexOfAny('"', '\n');
        return close >= 0 && text[setting + close] == '"' && IsAppSetting(text, setting, SkipBlanks(text, setting + close + 1));
    }

    /// <summary>
    /// For a quoted name declared as a Terraform variable (<c>variable "db_password" {</c>, the block
    /// at <paramref name="p"/>): where the <c>=</c> of its <c>default</c> is, within the block's first
    /// few lines; 0 when it is not such a declaration or sets no default.
    /// </summary>
    private static int TerraformDefault(string text, int nameStart, int p)
    {
        if (p >= text.Length || text[p] != '{' || !text.AsSpan(0, nameStart - 1).TrimEnd().EndsWith("variable", StringComparison.Ordinal))
        {
            return 0;
        }

        var block = text.AsSpan(p + 1, Math.Min(MaxValueLength, text.Length - p - 1));
        var close = block.IndexOf('}');
        block = close >= 0 ? block[..close] : block;
        var at = block.IndexOf("default", StringComparison.Ordinal);
        if (at < 0)
        {
            return 0;
        }

        var assign = SkipBlanks(text, p + 1 + at + "default".Length);
        return assign < p + 1 + block.Length && text[assign] == '=' ? assign : 0;
    }

    /// <summary>Whether the quoted name at <paramref name="nameStart"/> is the <c>key</c> attribute of an entry whose <c>value</c> attribute starts at <paramref name="p"/>.</summary>
    private static bool IsAppSetting(string text, int nameStart, int p)
    {
        var before = text.AsSpan(0, nameStart - 1).TrimEnd();
        return before.EndsWith("key=", StringComparison.OrdinalIgnoreCase)
            && text.AsSpan(p).StartsWith("value=\"", StringComparison.OrdinalIgnoreCase);
    }

    /// <summary>The length of the assignment operator at <paramref name="p"/> (0: none).</summary>
    private static int Operator(string text, int p, bool quotedName)
    {
        if (p >= text.Length)
        {
            return 0;
        }

        var c = text[p];
        var next = p + 1 < text.Length ? text[p + 1] : '\0';
        return c switch
        {
            '=' when next is '>' or '=' => 2,
            ':' when next == '=' => 2,
            '!' when next == '=' => 2,
            '=' or ':' or '：' => 1,
            ',' when quotedName => 1,
            _ => 0,
        };
    }

    /// <summary>The length of an authorization scheme word and the blank after it at <paramref name="p"/> (0: none).</summary>
    private static int Scheme(string text, int p, int end = -1)
    {
        end = end < 0 ? text.Length : end;
        foreach (var word in (ReadOnlySpan<string>)["Bearer ", "Basic ", "token ", "Token ", "SSWS "])
        {
            if (end - p > word.Length && text.AsSpan(p, word.Length).Equals(word, StringComparison.OrdinalIgnoreCase))
            {
                return word.Length;
            }
        }

        return 0;
    }

    /// <summary>"... is '...'" later on the line (within 48 characters): the position of the quote, or -1.</summary>
    private static int QuotedIsClause(string text, int from)
    {
        var length = Math.Min(48, text.Length - from);
        var line = text.AsSpan(from, length);
        var newline = line.IndexOfAny('\n', '\r');
        if (newline >= 0)
        {
            line = line[..newline];
        }

        var clause = line.IndexOf(" is ", StringComparison.Ordinal);
        if (clause < 0)
        {
            return -1;
        }

        var q = SkipBlanks(text, from + clause + 4);
        return q < text.Length && text[q] is '\'' or '"' ? q : -1;
    }

    /// <summary>A .netrc entry: "machine" or "login" shortly before the password.</summary>
    private static bool IsNetrc(string text, int index)
    {
        var from = Math.Max(0, index - 200);
        var before = text.AsSpan(from, index - from);
        return before.Contains("machine ", StringComparison.Ordinal) || before.Contains("login ", StringComparison.Ordinal);
    }

    private static bool LineStart(string text, int index)
    {
        for (var i = index - 1; i >= 0; i--)
        {
            if (text[i] == '\n')
            {
                return true;
            }

            if (text[i] is not (' ' or '\t'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A name=value; list (ADO.NET, ODBC, JDBC properties): the name follows a ';' or starts the line and the value ends at ';' or the line.</summary>
    private static bool IsConnectionString(string text, int nameStart, char terminator)
    {
        var before = nameStart - 1;
        while (before >= 0 && text[before] is ' ' or '\t')
        {
            before--;
        }

        return terminator == ';' || (before >= 0 && text[before] == ';');
    }

    /// <summary>
    /// An unquoted password is taken only where configuration puts one: the rest of its line is
    /// empty or a comment or another option, not more words ("Password: must be 8 characters"), and
    /// it is not the argument of a call or a statement (<c>f(password=pw)</c>, <c>pwd = input;</c>).
    /// </summary>
    private static bool PasswordContextOk(string text, int start, int end, char terminator)
    {
        if (terminator is ',' or ')')
        {
            return false;
        }

        if (terminator == ';' && text[start - 1] is ' ' or '\t')
        {
            return false;
        }

        var rest = SkipBlanks(text, end);
        if (rest < text.Length && text[rest] != '\n' && text[rest] != '\r' && terminator != ';' && char.IsLetter(text[rest]))
        {
            return false;
        }

        return true;
    }

    /// <summary>A password literal: 4 to 128 characters without blanks, not a label ("Password:"), a sentence or a variable named after it (user_password, ваш_пароль).</summary>
    private static bool IsPasswordLiteral(ReadOnlySpan<char> value, ReadOnlySpan<char> name, bool quoted)
    {
        if (value.Length is < 4 or > 128 || value.ContainsAny(" \t\r\n") || value[^1] == ':' || IsPlaceholder(value, name))
        {
            return false;
        }

        // Han, kana, Hangul or Thai in it: a sentence of a script written without blanks ("至少8位"),
        // not a password.
        foreach (var c in value)
        {
            if (IsUnspacedScript(c))
            {
                return false;
            }
        }

        // Unquoted code variables named after the password (user_password, hashedPwd, this.password).
        if (!quoted)
        {
            Span<char> lower = stackalloc char[value.Length];
            value.ToLowerInvariant(lower);
            var named = lower.Contains("pass", StringComparison.Ordinal) || lower.Contains("pwd", StringComparison.Ordinal) || lower.Contains("secret", StringComparison.Ordinal)
                || value.IndexOfAny(LocalizedPasswordNames) >= 0;
            if (named && (value.Contains('_') || value.Contains('.') || HasInnerCapital(value)))
            {
                return false;
            }
        }

        return true;
    }

    private static bool HasInnerCapital(ReadOnlySpan<char> value)
    {
        for (var i = 1; i < value.Length; i++)
        {
            if (char.IsAsciiLetterUpper(value[i]) && char.IsAsciiLetterLower(value[i - 1]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary><c>a.b.c</c> where every part is a code identifier (letters, then digits at most at the end): a member access, not a value.</summary>
    private static bool IsCodeReference(ReadOnlySpan<char> value)
    {
        if (value[0] is '$' or '@' or '%' or '&' or '*' or '!')
        {
            return true;
        }

        if (!value.Contains('.'))
        {
            return false;
        }

        foreach (var part in value.ToString().Split('.'))
        {
            if (!IsIdentifierWord(part))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>Letters (and '_'), then digits only at the end: my_secret_key, config, v2.</summary>
    private static bool IsIdentifierWord(ReadOnlySpan<char> part)
    {
        if (part.IsEmpty || !(char.IsAsciiLetter(part[0]) || part[0] == '_'))
        {
            return false;
        }

        var digits = false;
        foreach (var c in part)
        {
            if (char.IsAsciiDigit(c))
            {
                digits = true;
            }
            else if (digits || !(char.IsAsciiLetter(c) || c == '_'))
            {
                return false;
            }
        }

        return true;
    }

    /// <summary>A value that only stands for a secret: "YOUR_API_KEY", "xxxx", "&lt;token&gt;", "${SECRET}", "changeme", the name itself, a run of one character.</summary>
    internal static bool IsPlaceholder(ReadOnlySpan<char> value, ReadOnlySpan<char> name)
    {
        if (value.IsEmpty || value.Length > MaxValueLength)
        {
            return true;
        }

        Span<char> lower = stackalloc char[value.Length];
        value.ToLowerInvariant(lower);
        foreach (var part in PlaceholderParts)
        {
            if (lower.Contains(part, StringComparison.Ordinal))
            {
                return true;
            }
        }

        // A <name> stands for a value (<token>, <your-key>); a lone '<' or '>' is one more character of a random secret.
        var angle = lower.IndexOf('<');
        if (angle >= 0 && lower[angle..].Contains('>'))
        {
            return true;
        }

        var lookup = PlaceholderWords.GetAlternateLookup<ReadOnlySpan<char>>();
        if (lookup.Contains(value) || value.Equals(name.TrimStart('-'), StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        // One character repeated (aaaa, 0000, ----), maybe with a short tail (aaaa...end).
        var first = lower[0];
        var same = 0;
        foreach (var c in lower)
        {
            same += c == first ? 1 : 0;
        }

        return same * 10 >= value.Length * 7 || lower.StartsWith("data:", StringComparison.Ordinal);
    }

    /// <summary>
    /// A value that looks random: 16 to 512 characters without blanks, letters and digits (or
    /// mixed-case letters only when 30 or more), at least 3 bits of entropy per character, not a
    /// sequence of code words (my_secret_key_name, path/to/file), a URL, a date or an ascending run.
    /// </summary>
    internal static bool IsHighEntropy(ReadOnlySpan<char> value)
    {
        if (value.Length is < 16 or > MaxValueLength)
        {
            return false;
        }

        bool lower = false, upper = false, digit = false;
        var ascending = 0;
        // The module skips zeroing locals (SkipLocalsInit): the counters must start at zero.
        Span<int> counts = stackalloc int[128];
        counts.Clear();
        for (var i = 0; i < value.Length; i++)
        {
            var c = value[i];
            if (c >= 128 || char.IsWhiteSpace(c) || c is '"' or '\'' or '`' or '<' or '>' or '(' or ')' or '{' or '}' or '[' or ']')
            {
                return false;
            }

            counts[c]++;
            lower |= char.IsAsciiLetterLower(c);
            upper |= char.IsAsciiLetterUpper(c);
            digit |= char.IsAsciiDigit(c);
            if (i > 0 && c == value[i - 1] + 1)
            {
                ascending++;
            }
        }

        if (!(lower || upper) || (!digit && !(lower && upper && value.Length >= 30)) || ascending * 2 >= value.Length)
        {
            return false;
        }

        if (value.Contains("://", StringComparison.Ordinal) || (value.Contains('@') && value.Contains('.') && !value.ContainsAny('/', '+', '=')))
        {
            return false;
        }

        var entropy = 0.0;
        foreach (var count in counts)
        {
            if (count > 0)
            {
                var share = (double)count / value.Length;
                entropy -= share * Math.Log2(share);
            }
        }

        if (entropy < 3.0)
        {
            return false;
        }

        // Code words joined by separators or in camel case: every part letters with digits only at its end.
        var start = 0;
        for (var i = 0; i <= value.Length; i++)
        {
            if (i == value.Length || value[i] is '_' or '-' or '.' or '/' or ':' or '+' or '=')
            {
                var part = value[start..i];
                if (!part.IsEmpty)
                {
                    if (!IsIdentifierWord(part) || (HasInnerCapital(part) && !IsCamelWords(part)))
                    {
                        return true;
                    }
                }

                start = i + 1;
            }
        }

        return false;
    }

    /// <summary>CamelCase words: each capital starts a run of at least two lower-case letters.</summary>
    private static bool IsCamelWords(ReadOnlySpan<char> part)
    {
        for (var i = 0; i < part.Length; i++)
        {
            if (char.IsAsciiLetterUpper(part[i]) && i > 0)
            {
                var run = 0;
                while (i + 1 + run < part.Length && char.IsAsciiLetterLower(part[i + 1 + run]))
                {
                    run++;
                }

                if (run < 2 && i + 1 + run < part.Length)
                {
                    return false;
                }
            }
        }

        return true;
    }

    private static bool HasDigitAndLetter(ReadOnlySpan<char> value) =>
        value.IndexOfAnyInRange('0', '9') >= 0 && (value.IndexOfAnyInRange('a', 'z') >= 0 || value.IndexOfAnyInRange('A', 'Z') >= 0);

    private static bool HasMixedCase(ReadOnlySpan<char> value) =>
        value.IndexOfAnyInRange('a', 'z') >= 0 && value.IndexOfAnyInRange('A', 'Z') >= 0;

    /// <summary>
    /// A token as documentation writes one, not as a provider issues it: it says so (EXAMPLE,
    /// xxxx, your, sample, dummy, fake, placeholder, redacted), or it holds a run of 8 ascending
    /// characters (12345678, abcdefgh) or of 10 equal ones. A random token of the provider's
    /// alphabet has neither by chance.
    /// </summary>
    internal static bool IsDocumentationValue(ReadOnlySpan<char> value)
    {
        foreach (var word in (ReadOnlySpan<string>)["example", "xxxx", "your", "sample", "dummy", "fake", "placeholder", "redacted"])
        {
            if (value.Contains(word, StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        int ascending = 1, same = 1;
        for (var i = 1; i < value.Length; i++)
        {
            ascending = char.IsAsciiLetterOrDigit(value[i]) && value[i] == value[i - 1] + 1 ? ascending + 1 : 1;
            same = value[i] == value[i - 1] ? same + 1 : 1;
            if (ascending >= 8 || same >= 10)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The first part of a JWT decodes (base64url) to a JSON object header with "alg" or "typ".</summary>
    private static bool IsJwtHeader(ReadOnlySpan<char> token)
    {
        var dot = token.IndexOf('.');
        Span<byte> header = stackalloc byte[768];
        if (dot is < 8 or > 1024 || !TryFromBase64Url(token[..dot], header, out var written))
        {
            return false;
        }

        var json = header[..written].TrimStart(" \t\r\n"u8);
        return json.Length > 2 && json[0] == (byte)'{' && (json.IndexOf("\"alg\""u8) >= 0 || json.IndexOf("\"typ\""u8) >= 0);
    }

    /// <summary>A Discord bot token's first part: the bot's user id (a snowflake, 17 to 20 digits) in base64url.</summary>
    private static bool IsSnowflakeId(ReadOnlySpan<char> token)
    {
        var dot = token.IndexOf('.');
        Span<byte> id = stackalloc byte[24];
        return dot is >= 23 and <= 27 && TryFromBase64Url(token[..dot], id, out var written)
            && written is >= 17 and <= 20 && !id[..written].ContainsAnyExceptInRange((byte)'0', (byte)'9');
    }

    /// <summary>Decodes unpadded base64url (at most 1,024 characters).</summary>
    private static bool TryFromBase64Url(ReadOnlySpan<char> part, Span<byte> into, out int written)
    {
        Span<char> padded = stackalloc char[part.Length + 3];
        part.CopyTo(padded);
        var length = part.Length;
        while (length % 4 != 0)
        {
            padded[length++] = '=';
        }

        for (var i = 0; i < length; i++)
        {
            padded[i] = padded[i] switch { '-' => '+', '_' => '/', var c => c };
        }

        return Convert.TryFromBase64Chars(padded[..length], into, out written);
    }

    /// <summary>HTTP Basic credentials: base64 of "user:password".</summary>
    private static bool IsBasicCredentials(ReadOnlySpan<char> value)
    {
        if (value.Length is < 8 or > 344)
        {
            return false;
        }

        Span<byte> decoded = stackalloc byte[258];
        return Convert.TryFromBase64Chars(value, decoded, out var written) && decoded[..written].IndexOf((byte)':') > 0
            && !IsPlaceholder(System.Text.Encoding.UTF8.GetString(decoded[..written]), "basic");
    }

    /// <summary>The matches so far, which characters they cover, and the candidate count against the cap.</summary>
    private sealed class Found(string text)
    {
        private readonly System.Collections.BitArray _covered = new(text.Length);
        private int _candidates;

        public string Text { get; } = text;

        public List<SecretMatch> Matches { get; } = [];

        public void Count()
        {
            if (++_candidates > MaxCandidates)
            {
                throw new SecretTextTooDenseException();
            }
        }

        public void Add(string kind, int start, int length)
        {
            var end = start + length;
            for (var i = start; i < end; i++)
            {
                if (_covered[i])
                {
                    return;
                }
            }

            Matches.Add(new SecretMatch(kind, start, length));
            for (var i = start; i < end; i++)
            {
                _covered[i] = true;
            }
        }
    }
}

/// <summary>A text holds more candidates than the secret detector examines (<see cref="SecretDetector.MaxCandidates"/>): it is refused rather than half inspected.</summary>
public sealed class SecretTextTooDenseException()
    : Exception($"The text holds more than {SecretDetector.MaxCandidates} possible secrets; it is not inspected further.");
