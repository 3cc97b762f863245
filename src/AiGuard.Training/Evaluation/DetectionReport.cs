using System.Globalization;
using System.Text;
using AiGuard.Anomaly;

namespace AiGuard.Training.Evaluation;

/// <summary>How one family of simulated clients fared: how many were flagged and how fast.</summary>
/// <param name="QueriesMedian">Median number of requests before the first flag, over the flagged clients.</param>
/// <param name="QueriesP95">95th percentile of the same.</param>
/// <param name="Within">Share of the family's clients flagged within <see cref="DetectionReport.Within"/> requests.</param>
public sealed record FamilyResult(
    string Family,
    bool IsAttack,
    int Clients,
    double Flagged,
    double Within,
    double? QueriesMedian,
    double? QueriesP95,
    double MeanRequests);

/// <summary>Scores traces with a model and reports, per family, share flagged and requests to the first flag.</summary>
public static class DetectionReport
{
    /// <summary>The request budget of the headline targets (flagged within 200 requests).</summary>
    public const int Within = 200;

    /// <summary>The highest confirmed score (<see cref="RecentScores"/>) each trace reached from request <paramref name="minRequests"/> on, and the request at which it is first acted on: the one after its confirmed score first reached <paramref name="threshold"/> (0 when never).</summary>
    public static (float[] MaxScores, int[] FirstFlags) Score(IAnomalyScorer scorer, IReadOnlyList<ClientTrace> traces, double threshold, int minRequests) =>
        Score(scorer, traces, _ => threshold, minRequests);

    /// <summary>The same, with the threshold that applies to each client (by its kind).</summary>
    public static (float[] MaxScores, int[] FirstFlags) Score(IAnomalyScorer scorer, IReadOnlyList<ClientTrace> traces, Func<ClientSpec, double> thresholdFor, int minRequests)
    {
        var max = new float[traces.Count];
        var first = new int[traces.Count];
        var features = AnomalyFeatures.Count;
        Parallel.For(0, traces.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, t =>
        {
            var rows = traces[t].Rows;
            var threshold = thresholdFor(traces[t].Spec);
            var start = Math.Max(0, minRequests - 1);
            var count = Math.Max(0, rows.Length - start);
            if (count == 0)
            {
                return;
            }

            var batch = new float[count * features];
            for (var r = 0; r < count; r++)
            {
                rows[start + r].AsSpan(0, features).CopyTo(batch.AsSpan(r * features));
            }

            var scores = new float[count];
            scorer.Score(batch, scores);
            // As the gateway acts: on the confirmed score, the lowest of the last AnomalyPolicy.ConfirmingScores.
            var recent = default(RecentScores);
            for (var r = 0; r < count; r++)
            {
                var confirmed = recent.Add(scores[r]);
                max[t] = Math.Max(max[t], confirmed);
                // With batch scoring the score acts from the client's next request on.
                if (first[t] == 0 && confirmed >= threshold && start + r + 2 <= rows.Length)
                {
                    first[t] = start + r + 2;
                }
            }
        });
        return (max, first);
    }

    /// <summary>The lowest threshold at which at most <paramref name="falsePositiveRate"/> of the benign clients are ever flagged.</summary>
    public static double ThresholdFor(IReadOnlyList<float> benignMaxScores, double falsePositiveRate)
    {
        if (benignMaxScores.Count == 0)
        {
            return 0.5;
        }

        var sorted = benignMaxScores.OrderByDescending(s => s).ToArray();
        var allowed = (int)Math.Floor(falsePositiveRate * sorted.Length);
        // Just above the (allowed + 1)-th highest benign score: that client and all below stay unflagged.
        var at = sorted[Math.Min(allowed, sorted.Length - 1)];
        return Math.Min(1.0, Math.BitIncrement((double)at));
    }

    public static IReadOnlyList<FamilyResult> Summarize(IReadOnlyList<ClientTrace> traces, IReadOnlyList<int> firstFlags)
    {
        return [.. traces
            .Select((trace, i) => (trace.Spec, Length: trace.Rows.Length, First: firstFlags[i]))
            .GroupBy(t => (Family: Label(t.Spec), t.Spec.IsAttack))
            .OrderByDescending(g => g.Key.IsAttack)
            .ThenBy(g => g.Key.Family, StringComparer.Ordinal)
            .Select(g =>
            {
                var flagged = g.Where(t => t.First > 0).Select(t => (double)t.First).OrderBy(q => q).ToArray();
                var clients = g.Count();
                return new FamilyResult(
                    g.Key.Family,
                    g.Key.IsAttack,
                    clients,
                    (double)flagged.Length / clients,
                    (double)flagged.Count(q => q <= Within) / clients,
                    flagged.Length > 0 ? Percentile(flagged, 0.5) : null,
                    flagged.Length > 0 ? Percentile(flagged, 0.95) : null,
                    g.Average(t => t.Length));
            })];
    }

    /// <summary>The report as a markdown table, attacks first, with totals per class.</summary>
    public static string Markdown(IReadOnlyList<FamilyResult> results, double tensorThreshold, double textThreshold)
    {
        var text = new StringBuilder();
        var kinds = new List<string>();
        if (results.Any(r => !IsLlm(r)))
        {
            kinds.Add(string.Create(CultureInfo.InvariantCulture, $"{tensorThreshold:0.####} for tensor clients"));
        }

        if (results.Any(IsLlm))
        {
            kinds.Add(string.Create(CultureInfo.InvariantCulture, $"{textThreshold:0.####} for LLM clients (`llm/`)"));
        }

        text.AppendLine(CultureInfo.InvariantCulture, $"Threshold {string.Join(", ", kinds)}.");
        text.AppendLine();
        text.AppendLine($"| family | kind | clients | requests per client | flagged | flagged within {Within} | median requests to flag | p95 requests to flag |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|---:|");
        foreach (var r in results)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| {r.Family} | {(r.IsAttack ? "attack" : "benign")} | {r.Clients} | {r.MeanRequests:0} | {r.Flagged:P1} | {r.Within:P1} | {Number(r.QueriesMedian)} | {Number(r.QueriesP95)} |");
        }

        var attacks = results.Where(r => r.IsAttack).ToArray();
        var benign = results.Where(r => !r.IsAttack).ToArray();
        if (attacks.Length > 0)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| **all attacks** | | {attacks.Sum(r => r.Clients)} | | {Weighted(attacks, r => r.Flagged):P1} | {Weighted(attacks, r => r.Within):P1} | | |");
        }

        if (benign.Length > 0)
        {
            text.AppendLine(CultureInfo.InvariantCulture,
                $"| **all benign** (false positives) | | {benign.Sum(r => r.Clients)} | | {Weighted(benign, r => r.Flagged):P2} | | | |");
        }

        return text.ToString();
    }

    private static bool IsLlm(FamilyResult result) => result.Family.StartsWith(LlmPrefix, StringComparison.Ordinal);

    private const string LlmPrefix = "llm/";

    /// <summary>The family as reported: LLM families carry an <c>llm/</c> prefix (several names exist for both kinds).</summary>
    public static string Label(ClientSpec spec) => spec.IsChat ? LlmPrefix + spec.Family : spec.Family;

    private static double Weighted(FamilyResult[] results, Func<FamilyResult, double> share) =>
        results.Sum(r => share(r) * r.Clients) / Math.Max(1, results.Sum(r => r.Clients));

    private static string Number(double? value) => value is { } v ? v.ToString("0", CultureInfo.InvariantCulture) : "-";

    private static double Percentile(double[] sorted, double p)
    {
        var rank = p * (sorted.Length - 1);
        var low = (int)Math.Floor(rank);
        var high = (int)Math.Ceiling(rank);
        return sorted[low] + ((sorted[high] - sorted[low]) * (rank - low));
    }
}
