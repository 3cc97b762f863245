using AiGuard.Inspection.Sensitive;
using BenchmarkDotNet.Attributes;

namespace AiGuard.Benchmarks;

/// <summary>
/// What the PII detector costs per prompt: the load benchmark's chat prompt (no personal data,
/// a few digits), a support message with a card, an e-mail and a phone number, and a 4 KB
/// document of numbers and prose (many candidates to validate).
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

    private readonly PiiDetector _detector = new();

    [Benchmark(Baseline = true)]
    public int Plain_prompt() => _detector.Find(Plain).Count;

    [Benchmark]
    public int Support_message_with_three_entities() => _detector.Find(Support).Count;

    [Benchmark]
    public int Four_kilobyte_document_of_numbers() => _detector.Find(Document).Count;
}
