using System.Diagnostics;
using System.Globalization;
using System.Text;
using AiGuard.Inspection.Injection;

namespace AiGuard.Training.Injection;

/// <summary>Detection figures of one source: how many prompts, how many reached the threshold.</summary>
public sealed record SourceFigures(string Source, bool Injection, int Prompts, int Flagged)
{
    /// <summary>Recall for an injection source, false-positive rate for a benign one.</summary>
    public double Rate => Prompts == 0 ? 0 : Flagged / (double)Prompts;
}

/// <summary>The figures of one evaluation: per source, and pooled.</summary>
public sealed record InjectionEvaluationResult(IReadOnlyList<SourceFigures> Sources, float Threshold, TimeSpan Elapsed, long Characters)
{
    public int Attacks => Sources.Where(s => s.Injection).Sum(s => s.Prompts);

    public int Benign => Sources.Where(s => !s.Injection).Sum(s => s.Prompts);

    public double Recall => Ratio(Sources.Where(s => s.Injection).Sum(s => s.Flagged), Attacks);

    public double FalsePositiveRate => Ratio(Sources.Where(s => !s.Injection).Sum(s => s.Flagged), Benign);

    /// <summary>Recall averaged over injection sources (each source counts alike).</summary>
    public double MacroRecall => Sources.Where(s => s.Injection).Select(s => s.Rate).DefaultIfEmpty().Average();

    /// <summary>False-positive rate averaged over benign sources.</summary>
    public double MacroFalsePositiveRate => Sources.Where(s => !s.Injection).Select(s => s.Rate).DefaultIfEmpty().Average();

    public double Precision
    {
        get
        {
            var truePositives = Sources.Where(s => s.Injection).Sum(s => s.Flagged);
            return Ratio(truePositives, truePositives + Sources.Where(s => !s.Injection).Sum(s => s.Flagged));
        }
    }

    private static double Ratio(int part, int whole) => whole == 0 ? 0 : part / (double)whole;
}

/// <summary>Scores labelled prompts with a detector and reports per source.</summary>
public static class InjectionEvaluation
{
    /// <param name="detector">Scores each text (<see cref="PromptInjectionDetector.Inspect(string)"/>) unless <paramref name="score"/> is given.</param>
    /// <param name="score">Another way to score a text with the detector (a tool definition's path).</param>
    public static InjectionEvaluationResult Evaluate(PromptInjectionDetector detector, IReadOnlyList<PromptSample> samples, float threshold, Action<int>? progress = null, Func<string, float>? score = null)
    {
        score ??= text => detector.Inspect(text).Score;
        var clock = Stopwatch.StartNew();
        var flagged = new bool[samples.Count];
        long characters = 0;
        for (var i = 0; i < samples.Count; i++)
        {
            flagged[i] = score(samples[i].Text) >= threshold;
            characters += samples[i].Text.Length;
            progress?.Invoke(i + 1);
        }

        var sources = samples.Select((s, i) => (s, i))
            .GroupBy(p => (p.s.Source, p.s.Injection))
            .OrderBy(g => g.Key.Injection ? 0 : 1).ThenBy(g => g.Key.Source, StringComparer.Ordinal)
            .Select(g => new SourceFigures(g.Key.Source, g.Key.Injection, g.Count(), g.Count(p => flagged[p.i])))
            .ToList();
        return new InjectionEvaluationResult(sources, threshold, clock.Elapsed, characters);
    }

    /// <summary>The result as a markdown table: recall per injection source, false-positive rate per benign source, then the totals.</summary>
    public static string Markdown(InjectionEvaluationResult result, string title)
    {
        var invariant = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(invariant, $"### {title}");
        text.AppendLine();
        var prompts = result.Attacks + result.Benign;
        text.AppendLine(invariant, $"Threshold {result.Threshold:0.0000}; {prompts} prompts, {result.Characters} characters, {result.Elapsed.TotalMilliseconds * 1000 / Math.Max(1, prompts):0} µs per prompt (normalize + rules + model, all windows).");
        text.AppendLine();
        text.AppendLine("| source | label | prompts | flagged | recall / FP rate |");
        text.AppendLine("|---|---|---:|---:|---:|");
        foreach (var source in result.Sources)
        {
            text.AppendLine(invariant, $"| {source.Source} | {(source.Injection ? "injection" : "benign")} | {source.Prompts} | {source.Flagged} | {(source.Injection ? "recall " : "FP ")}{source.Rate.ToString("P1", invariant)} |");
        }

        text.AppendLine();
        text.AppendLine(invariant, $"Injection recall {result.Recall.ToString("P1", invariant)} pooled ({result.Attacks} attacks), {result.MacroRecall.ToString("P1", invariant)} averaged over sources; benign false positives {result.FalsePositiveRate.ToString("P2", invariant)} pooled ({result.Benign} prompts), {result.MacroFalsePositiveRate.ToString("P2", invariant)} averaged over sources; precision {result.Precision.ToString("P1", invariant)}.");
        text.AppendLine();
        return text.ToString();
    }
}
