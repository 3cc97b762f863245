using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using AiGuard.Inspection.Sensitive;
using Spectre.Console;

namespace AiGuard.Cli.Guard;

/// <summary>
/// <c>aiguard guard eval</c> on JSONL corpora: labelled secret examples (<c>rule_id</c>, <c>label</c>
/// secret / not_secret, <c>text</c>) give recall and false positives per split and provider family;
/// prompt corpora (<c>text</c>, or <c>instruction</c> and <c>instances[].input</c>) give the share of
/// prompts with a (false) secret detection.
/// </summary>
internal static class SecretEval
{
    /// <summary>A JSONL file: by extension, or a first line that is a JSON object.</summary>
    public static bool IsJsonl(FileInfo file)
    {
        if (file.Extension.Equals(".jsonl", StringComparison.OrdinalIgnoreCase))
        {
            return true;
        }

        // One object per line, with the text of a prompt or an example: not a Presidio list, not some other object.
        using var reader = file.OpenText();
        var first = reader.ReadLine()?.Trim();
        return first is not null && first.StartsWith('{') && first.EndsWith('}') && first.Contains("\"text\"", StringComparison.Ordinal);
    }

    /// <summary>Labelled secret examples have a rule_id and a label on their first row.</summary>
    public static bool IsSecretCorpus(FileInfo file)
    {
        var first = File.ReadLines(file.FullName).FirstOrDefault(l => !string.IsNullOrWhiteSpace(l));
        if (first is null)
        {
            return false;
        }

        using var row = Parse(file, first, 1);
        return row.RootElement.TryGetProperty("rule_id", out _) && row.RootElement.TryGetProperty("label", out _);
    }

    /// <summary>
    /// The split of a rule: FNV-1a (32 bit) of its id in UTF-8, even is tuning, odd is held-out.
    /// All rows of one rule fall on the same side, and the split does not depend on row order.
    /// </summary>
    public static bool IsTuning(string ruleId)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(ruleId))
        {
            hash = unchecked((hash ^ b) * 16777619u);
        }

        return hash % 2 == 0;
    }

    private sealed record Example(string Rule, string Family, bool Tuning, bool Secret, string Text);

    private sealed class Tally
    {
        public HashSet<string> Rules { get; } = new(StringComparer.Ordinal);

        public int Secrets { get; set; }

        public int Found { get; set; }

        public int Clean { get; set; }

        public int Flagged { get; set; }
    }

    public static string EvaluateExamples(SecretDetector detector, FileInfo file)
    {
        var examples = new List<Example>();
        foreach (var (number, root) in Rows(file))
        {
            var rule = String(root, "rule_id") ?? throw new InvalidDataException($"{file.Name}:{number} has no rule_id.");
            var label = String(root, "label") ?? throw new InvalidDataException($"{file.Name}:{number} has no label.");
            var sample = String(root, "text") ?? throw new InvalidDataException($"{file.Name}:{number} has no text.");
            var parts = rule.Split('.');
            var family = parts.Length >= 2 && parts[0] == "np" ? parts[1] : parts[0];
            examples.Add(new Example(rule, family, IsTuning(rule), label.Equals("secret", StringComparison.OrdinalIgnoreCase), sample));
        }

        var splits = new Dictionary<string, Tally>(StringComparer.Ordinal) { ["tuning"] = new(), ["held-out"] = new(), ["all"] = new() };
        var families = new SortedDictionary<(string Family, string Split), Tally>();
        var kinds = new SortedDictionary<string, int>(StringComparer.Ordinal);
        // A not-secret row of one rule can be the very text another rule labels secret (a negative
        // of one provider's pattern, not a non-secret): no detector can be right on both rows.
        var secretTexts = examples.Where(e => e.Secret).Select(e => e.Text.Trim()).ToHashSet(StringComparer.Ordinal);
        var contested = new Tally();
        var clock = Stopwatch.StartNew();
        AnsiConsole.Progress().Start(progress =>
        {
            var task = progress.AddTask($"Secret detection on {file.Name}", maxValue: examples.Count);
            foreach (var example in examples)
            {
                var matches = Detect(detector, example.Text);
                var split = example.Tuning ? "tuning" : "held-out";
                var familyKey = (example.Family, split);
                var family = families.TryGetValue(familyKey, out var f) ? f : families[familyKey] = new Tally();
                foreach (var tally in (Tally[])[splits[split], splits["all"], family])
                {
                    tally.Rules.Add(example.Rule);
                    if (example.Secret)
                    {
                        tally.Secrets++;
                        tally.Found += matches.Count > 0 ? 1 : 0;
                    }
                    else
                    {
                        tally.Clean++;
                        tally.Flagged += matches.Count > 0 ? 1 : 0;
                    }
                }

                if (!example.Secret && secretTexts.Contains(example.Text.Trim()))
                {
                    contested.Clean++;
                    contested.Flagged += matches.Count > 0 ? 1 : 0;
                }

                foreach (var kind in matches.Select(m => m.Kind).Distinct())
                {
                    kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
                }

                task.Increment(1);
            }
        });

        var invariant = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine(invariant, $"## Secret detection: {file.Name}");
        text.AppendLine();
        text.AppendLine(invariant, $"`aiguard guard eval --corpus {file.Name}`: {examples.Count} rows ({splits["all"].Secrets} secret, {splits["all"].Clean} not) of {splits["all"].Rules.Count} rules, {clock.Elapsed.TotalMilliseconds / Math.Max(1, examples.Count):0.000} ms per row. Rules are split by FNV-1a of rule_id (even: tuning, odd: held-out), all rows of a rule on one side. Recall: secret rows with a detection; FP rate: not-secret rows with any detection.");
        text.AppendLine();
        text.AppendLine("| split | rules | secret rows | detected | recall | not-secret rows | with a detection | FP rate |");
        text.AppendLine("|---|---:|---:|---:|---:|---:|---:|---:|");
        foreach (var (name, tally) in splits)
        {
            text.AppendLine(invariant, $"| {name} | {tally.Rules.Count} | {tally.Secrets} | {tally.Found} | {Share(tally.Found, tally.Secrets)} | {tally.Clean} | {tally.Flagged} | {Share(tally.Flagged, tally.Clean)} |");
        }

        text.AppendLine();
        var all = splits["all"];
        text.AppendLine(invariant, $"Contradictory labels: {contested.Clean} not-secret rows are, word for word, rows another rule labels secret ({contested.Flagged} of them with a detection). Without them the FP rate over all rules is {Share(all.Flagged - contested.Flagged, all.Clean - contested.Clean)} ({all.Flagged - contested.Flagged} of {all.Clean - contested.Clean}); with perfect recall it could not go below {Share(contested.Clean, all.Clean)} with them.");
        text.AppendLine();
        text.AppendLine("Provider families with a missed secret or a false positive:");
        text.AppendLine();
        text.AppendLine("| family | split | rules | secret rows | recall | not-secret rows | with a detection |");
        text.AppendLine("|---|---|---:|---:|---:|---:|---:|");
        var perfect = 0;
        foreach (var ((family, split), tally) in families)
        {
            if (tally.Found == tally.Secrets && tally.Flagged == 0)
            {
                perfect++;
                continue;
            }

            text.AppendLine(invariant, $"| {family} | {split} | {tally.Rules.Count} | {tally.Secrets} | {Share(tally.Found, tally.Secrets)} | {tally.Clean} | {tally.Flagged} |");
        }

        text.AppendLine();
        text.AppendLine(invariant, $"{perfect} other family and split pairs: every secret row detected, no not-secret row flagged.");
        text.AppendLine();
        text.AppendLine(invariant, $"Rows per kind reported: {string.Join(", ", kinds.Select(k => $"{k.Key} {k.Value}"))}.");
        text.AppendLine();
        return text.ToString();
    }

    /// <summary>Unlabelled (benign) prompt corpora: the share of prompts with any secret detection, per file.</summary>
    public static string EvaluatePrompts(SecretDetector detector, IReadOnlyList<FileInfo> files)
    {
        var invariant = CultureInfo.InvariantCulture;
        var text = new StringBuilder();
        text.AppendLine("## Secret detection on prompt corpora");
        text.AppendLine();
        text.AppendLine("Prompts with any secret detection (all rows; a prompt corpus has no secret labels, so every detection is counted, including credentials the prompt itself contains).");
        text.AppendLine();
        text.AppendLine("| source | prompts | with a detection | share | kinds | µs per prompt |");
        text.AppendLine("|---|---:|---:|---:|---|---:|");
        int allPrompts = 0, allFlagged = 0;
        AnsiConsole.Progress().Start(progress =>
        {
            foreach (var file in files)
            {
                var prompts = ReadPrompts(file);
                var task = progress.AddTask($"Secret detection on {file.Name}", maxValue: prompts.Count);
                var flagged = 0;
                var kinds = new SortedDictionary<string, int>(StringComparer.Ordinal);
                var clock = Stopwatch.StartNew();
                foreach (var prompt in prompts)
                {
                    var matches = Detect(detector, prompt);
                    if (matches.Count > 0)
                    {
                        flagged++;
                        foreach (var kind in matches.Select(m => m.Kind).Distinct())
                        {
                            kinds[kind] = kinds.GetValueOrDefault(kind) + 1;
                        }
                    }

                    task.Increment(1);
                }

                allPrompts += prompts.Count;
                allFlagged += flagged;
                var micros = clock.Elapsed.TotalMicroseconds / Math.Max(1, prompts.Count);
                text.AppendLine(invariant, $"| {file.Name} | {prompts.Count} | {flagged} | {Share(flagged, prompts.Count)} | {string.Join(", ", kinds.Select(k => $"{k.Key} {k.Value}"))} | {micros:0.0} |");
            }
        });

        text.AppendLine(invariant, $"| **all** | {allPrompts} | {allFlagged} | {Share(allFlagged, allPrompts)} | | |");
        text.AppendLine();
        return text.ToString();
    }

    /// <summary>A text the detector refuses as too dense counts as a detection (the gateway would refuse it).</summary>
    private static List<SecretMatch> Detect(SecretDetector detector, string text)
    {
        try
        {
            return detector.Find(text);
        }
        catch (SecretTextTooDenseException)
        {
            return [new SecretMatch("too-dense", 0, text.Length)];
        }
    }

    /// <summary>The JSON object of each non-blank line with its line number; each is valid until the next is read.</summary>
    private static IEnumerable<(int Number, JsonElement Root)> Rows(FileInfo file)
    {
        var number = 0;
        foreach (var line in File.ReadLines(file.FullName))
        {
            number++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            using var row = Parse(file, line, number);
            yield return (number, row.RootElement);
        }
    }

    private static List<string> ReadPrompts(FileInfo file)
    {
        var prompts = new List<string>();
        foreach (var (number, root) in Rows(file))
        {
            if (String(root, "text") is { } text)
            {
                prompts.Add(text);
            }
            else if (String(root, "instruction") is { } instruction)
            {
                var inputs = root.TryGetProperty("instances", out var instances) && instances.ValueKind == JsonValueKind.Array
                    ? instances.EnumerateArray().Select(i => String(i, "input")).Where(i => !string.IsNullOrEmpty(i))
                    : [];
                prompts.Add(string.Join("\n", inputs.Prepend(instruction)));
            }
            else
            {
                throw new InvalidDataException($"{file.Name}:{number} has neither text nor instruction.");
            }
        }

        return prompts;
    }

    private static JsonDocument Parse(FileInfo file, string line, int number)
    {
        try
        {
            return JsonDocument.Parse(line);
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{file.Name}:{number} is not JSON: {e.Message}");
        }
    }

    private static string? String(JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static string Share(int part, int whole) =>
        whole == 0 ? "-" : ((double)part / whole).ToString("P1", CultureInfo.InvariantCulture);
}
