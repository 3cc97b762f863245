using System.Text.Json;

namespace AiGuard.Training.Simulation.Chat;

/// <summary>
/// User prompts read from a JSONL file (<c>{"text": ...}</c> per line, other fields ignored;
/// Alpaca-style <c>{"instruction": ..., "instances": [{"input": ...}]}</c> rows are read too),
/// drawn uniformly: for evaluations on a real prompt corpus, given by path and never copied
/// into the repository.
/// </summary>
public sealed class JsonlPromptSource : IPromptSource
{
    private readonly string[] _prompts;

    public JsonlPromptSource(IEnumerable<string> prompts)
    {
        ArgumentNullException.ThrowIfNull(prompts);
        _prompts = [.. prompts];
        if (_prompts.Length == 0)
        {
            throw new ArgumentException("A prompt source needs at least one prompt.", nameof(prompts));
        }
    }

    public IReadOnlyList<string> Prompts => _prompts;

    public static JsonlPromptSource Load(string path)
    {
        using var reader = File.OpenText(path);
        return Read(reader, path);
    }

    /// <param name="name">Names the input in errors (a file path).</param>
    public static JsonlPromptSource Read(TextReader reader, string name)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var prompts = new List<string>();
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            prompts.Add(ReadText(line, name, lineNumber));
        }

        if (prompts.Count == 0)
        {
            throw new InvalidDataException($"{name} holds no prompts.");
        }

        return new JsonlPromptSource(prompts);
    }

    public string NextPrompt(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return _prompts[random.Next(_prompts.Length)];
    }

    private static string ReadText(string line, string name, int lineNumber)
    {
        try
        {
            using var row = JsonDocument.Parse(line);
            var root = row.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                if (NonEmpty(root, "text") is { } text)
                {
                    return text;
                }

                // Alpaca's seed tasks: an instruction and, in its first instance, an optional input.
                if (NonEmpty(root, "instruction") is { } instruction)
                {
                    var input = root.TryGetProperty("instances", out var instances) && instances.ValueKind == JsonValueKind.Array && instances.GetArrayLength() > 0
                        && instances[0].ValueKind == JsonValueKind.Object ? NonEmpty(instances[0], "input") : null;
                    return input is null ? instruction : instruction + "\n\n" + input;
                }
            }
        }
        catch (JsonException error)
        {
            throw new InvalidDataException($"{name} line {lineNumber}: not valid JSON ({error.Message}).", error);
        }

        throw new InvalidDataException($"{name} line {lineNumber}: expected an object with a non-empty string \"text\" (or \"instruction\").");
    }

    private static string? NonEmpty(JsonElement row, string property) =>
        row.TryGetProperty(property, out var value) && value.ValueKind == JsonValueKind.String && value.GetString() is { Length: > 0 } text ? text : null;
}
