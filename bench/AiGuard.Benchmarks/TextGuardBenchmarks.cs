using AiGuard.Inspection.Sensitive;
using BenchmarkDotNet.Attributes;

namespace AiGuard.Benchmarks;

/// <summary>
/// What the PII detector costs per prompt: the load benchmark's chat prompt (no personal data,
/// a few digits), a support message with a card, an e-mail and a phone number, and a 4 KB
/// document of numbers and prose (many candidates to validate). The secret detector: the same
/// chat prompt, a code snippet with an API key in it, and a 4 KB mix of code, configuration and
/// prose with secret-ish names but no secret. A route's whole inspection of the 4 KB document,
/// first time and resent by the same client (answered from the cache of long texts), and the
/// route's inspection of the chat prompt; the scan for base64 and hex spans alone.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class TextGuardBenchmarks
{
    private const string Plain = "Summarise in one sentence why our nightly build failed after the dependency upgrade.";

    private const string Support =
        "Hi, I was charged twice on 4111 1111 1111 1111 for order 88231 on 2026-11-02. Please refund to the same card " +
        "and confirm by mail to jane.doe@example.com or call me on +44 20 7946 0958. Thanks, Jane";

    private static readonly string Document = string.Concat(Enumerable.Range(0, 40).Select(i =>
        $"Row {i}: invoice {10_000 + (i * 37)} paid {i * 13 % 97}.{i % 10}0 EUR on 2026-{1 + (i % 12):00}-{1 + (i % 28):00}, ref {i * 7919 % 100_000:00000}. "));

    private const string CodeWithKey =
        "import requests\n\nAPI_KEY = \"q8Zr3Lm0Xv7Tn2Bw9Ks4Jd6Hf1Pc5Ya\"  # TODO move to a vault\n\n" +
        "def fetch(city):\n    r = requests.get(\"https://api.example.net/v1/weather\", params={\"q\": city}, headers={\"X-Api-Key\": API_KEY})\n" +
        "    r.raise_for_status()\n    return r.json()[\"current\"][\"temp_c\"]\n\nWhy does this return 401 for some cities?";

    private static readonly string CodeDocument = string.Concat(Enumerable.Range(0, 14).Select(i =>
        $"def handler_{i}(request, token_store, key_name='k{i}'):\n    token = token_store.get(key_name)\n    if not token:\n" +
        $"        raise PermissionError('missing token for ' + key_name)\n    return {{'status': {200 + i}, 'secret_ref': key_name}}\n" +
        "The password policy says keys rotate every 90 days; see the tokenizer notes. "));

    private static readonly AiGuard.Identity.ClientIdentity Client = new("bench-client", "key-bench", "bench", [], ["*"], ["*"]);

    private readonly PiiDetector _detector = new();
    private readonly SecretDetector _secrets = new();

    // A route that redacts cards, IBANs, e-mails and phone numbers and secrets.
    private readonly SensitiveDataPolicy _policy = new(new SensitiveDataOptions
    {
        Actions = { ["CreditCard"] = SensitiveAction.Redact, ["Iban"] = SensitiveAction.Redact, ["Email"] = SensitiveAction.Redact, ["Phone"] = SensitiveAction.Redact, ["Secret"] = SensitiveAction.Redact },
    });

    [Benchmark(Baseline = true)]
    public int Plain_prompt() => _detector.Find(Plain).Count;

    [Benchmark]
    public int Support_message_with_three_entities() => _detector.Find(Support).Count;

    [Benchmark]
    public int Four_kilobyte_document_of_numbers() => _detector.Find(Document).Count;

    [Benchmark]
    public int Secrets_plain_prompt() => _secrets.Find(Plain).Count;

    [Benchmark]
    public int Secrets_code_snippet_with_a_key() => _secrets.Find(CodeWithKey).Count;

    [Benchmark]
    public int Secrets_four_kilobytes_of_code_and_prose() => _secrets.Find(CodeDocument).Count;

    /// <summary>The route's whole inspection (personal data and secrets) of the 4 KB document.</summary>
    [Benchmark]
    public int Route_four_kilobytes_first_time() => _policy.Find(Document).Count;

    /// <summary>The route's whole inspection of the chat prompt (personal data, secrets, encoded spans).</summary>
    [Benchmark]
    public int Route_plain_prompt() => _policy.Find(Plain).Count;

    /// <summary>Looking for base64 and hex spans that decode to text, alone (part of the route's inspection).</summary>
    [Benchmark]
    public int Encoded_span_scan_plain_prompt() => AiGuard.Inspection.Text.TextNormalizer.EncodedSpans(Plain, minLetterShare: 0)?.Count ?? 0;

    [Benchmark]
    public int Encoded_span_scan_four_kilobytes() => AiGuard.Inspection.Text.TextNormalizer.EncodedSpans(Document, minLetterShare: 0)?.Count ?? 0;

    /// <summary>The same document resent by the same client (a conversation resent whole): the cache's hit.</summary>
    [Benchmark]
    public int Route_four_kilobytes_resent() => _policy.Find(Document, Client).Count;
}
