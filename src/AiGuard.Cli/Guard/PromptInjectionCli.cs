using System.Globalization;
using System.Text;
using AiGuard.Inspection.Injection;
using AiGuard.Training.Injection;
using Spectre.Console;

namespace AiGuard.Cli.Guard;

/// <summary>What <c>guard train</c> and <c>guard eval</c> share for prompt corpora: the default model, the split, scoring with progress.</summary>
internal static class PromptInjectionCli
{
    /// <summary>The shipped model, relative to the working directory or else to the CLI's own directory.</summary>
    public const string ShippedModel = "models/prompt-injection.onnx";

    /// <summary>Which part of the labelled JSONL corpora to score: the report part (never trained on), the tuning part, or all.</summary>
    public enum Split
    {
        Report,
        Tune,
        All,
    }

    public static string ResolveModel(string? path)
    {
        var given = string.IsNullOrWhiteSpace(path) ? ShippedModel : path;
        return File.Exists(given) || Path.IsPathRooted(given) ? given : Path.Combine(AppContext.BaseDirectory, given);
    }

    /// <summary>The rows of a split (<see cref="CorpusSplit"/>).</summary>
    public static List<PromptSample> Select(IEnumerable<(string File, List<PromptSample> Rows)> files, Split split) =>
    [
        .. files.SelectMany(f => split == Split.All ? f.Rows : f.Rows.Where(r => CorpusSplit.IsTune(r) == (split == Split.Tune))),
    ];

    public static InjectionEvaluationResult Score(PromptInjectionDetector detector, IReadOnlyList<PromptSample> samples, float threshold, string label, Func<string, float>? score = null)
    {
        InjectionEvaluationResult? result = null;
        AnsiConsole.Progress().Start(progress =>
        {
            var task = progress.AddTask(label, maxValue: Math.Max(1, samples.Count));
            result = InjectionEvaluation.Evaluate(
                detector,
                samples,
                threshold,
                done =>
                {
                    if (done % 64 == 0 || done == samples.Count)
                    {
                        task.Value = done;
                    }
                },
                score);
        });
        return result!;
    }

    /// <summary>A short header for a report: model, hash, threshold, what was scored.</summary>
    public static string Header(PromptInjectionDetector detector, float threshold, string what)
    {
        var text = new StringBuilder();
        var invariant = CultureInfo.InvariantCulture;
        text.AppendLine(invariant, $"## Prompt-injection detection: {what}");
        text.AppendLine();
        text.AppendLine(invariant, $"Model `{Path.GetFileName(detector.ModelPath)}` (sha256 {detector.Sha256[..12]}..., features {detector.Manifest.FeatureSchemaVersion}, manifest threshold {detector.Threshold:0.0000}), scored at {threshold:0.0000}.");
        text.AppendLine();
        return text.ToString();
    }
}
