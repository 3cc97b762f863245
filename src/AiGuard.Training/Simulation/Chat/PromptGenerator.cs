using System.Text;

namespace AiGuard.Training.Simulation.Chat;

/// <summary>The kinds of prompt the generator writes.</summary>
public enum PromptKind
{
    Question,
    Writing,
    Coding,
    Math,
    Support,
    Chat,
    RolePlay,
}

/// <summary>
/// Seeded natural-looking prompts from a template grammar (<see cref="PromptRules"/>): questions,
/// writing tasks, coding, math, support requests, chit-chat and role-play, 5 to 2,000 characters,
/// plus the long persona system prompts, follow-ups, app templates and records the clients need.
/// Written here rather than taken from a corpus, so the tests and the trainer need no files.
/// </summary>
public sealed class PromptGenerator : IPromptSource
{
    public const int MinLength = 5;
    public const int MaxLength = 2000;

    private static readonly (PromptKind Kind, int Weight)[] KindWeights =
    [
        (PromptKind.Question, 25), (PromptKind.Writing, 20), (PromptKind.Coding, 18), (PromptKind.Math, 12),
        (PromptKind.Support, 12), (PromptKind.Chat, 8), (PromptKind.RolePlay, 5),
    ];

    // The applications of NextAppTemplate: rules app_task_0, app_output_0, and so on.
    private const int AppCount = 7;

    private static readonly PromptGrammar Grammar = new(PromptRules.All);

    public static PromptGenerator Instance { get; } = new();

    public string NextPrompt(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var pick = random.Next(KindWeights.Sum(k => k.Weight));
        foreach (var (kind, weight) in KindWeights)
        {
            if (pick < weight)
            {
                return NextPrompt(random, kind);
            }

            pick -= weight;
        }

        throw new InvalidOperationException("unreachable");
    }

    public string NextPrompt(Random random, PromptKind kind)
    {
        ArgumentNullException.ThrowIfNull(random);
        var rule = kind switch
        {
            PromptKind.Question => "question",
            PromptKind.Writing => "writing",
            PromptKind.Coding => "coding",
            PromptKind.Math => "math",
            PromptKind.Support => "support",
            PromptKind.Chat => "chat",
            PromptKind.RolePlay => "roleplay",
            _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, null),
        };

        var text = Fill(Grammar.Pick(rule, random), random);

        // Some people paste context in front of an ordinary question.
        if (kind is PromptKind.Question or PromptKind.Support && random.NextDouble() < 0.12)
        {
            text = Grammar.Pick("context_intro", random) + "\n\n" + NextPassage(random, PassageLength(random)) + "\n\n" + text;
        }

        return Finish(Casual(text, random));
    }

    /// <summary>A persona or application system prompt, 300 to 2,000 characters.</summary>
    public string NextSystemPrompt(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var text = new StringBuilder(Grammar.Pick("persona_intro", random));
        var target = random.Next(300, MaxLength - 200);
        var rules = new HashSet<string>(StringComparer.Ordinal);
        var separator = random.Next(3) == 0 ? "\n- " : " ";
        if (separator != " ")
        {
            text.Append("\n\nRules:");
        }

        while (text.Length < target)
        {
            var rule = Grammar.Pick("persona_rule", random);
            if (rules.Add(rule))
            {
                text.Append(separator).Append(rule);
            }
        }

        if (separator != " ")
        {
            text.Append('\n');
        }

        text.Append(' ').Append(Grammar.Pick("persona_closing", random));
        return Finish(text.ToString());
    }

    /// <summary>What a user types next in a running conversation.</summary>
    public string NextFollowUp(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return Finish(Casual(Fill(Grammar.Pick("follow_up", random), random), random));
    }

    /// <summary>A few paragraphs of plain prose, about <paramref name="length"/> characters.</summary>
    public string NextPassage(Random random, int length)
    {
        ArgumentNullException.ThrowIfNull(random);
        var text = new StringBuilder(length + 200);
        var inParagraph = 0;
        while (text.Length < length)
        {
            if (inParagraph > 0)
            {
                text.Append(inParagraph >= 3 && random.Next(3) == 0 ? "\n\n" : " ");
                inParagraph = text[^1] == '\n' ? 0 : inParagraph;
            }

            text.Append(Grammar.Pick("sentence", random));
            inParagraph++;
        }

        return text.ToString();
    }

    /// <summary>A short structured record (a form, an order, a ticket) as an app fills into its template.</summary>
    public string NextRecord(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return Grammar.Pick("record", random);
    }

    /// <summary>A multiple-choice question as evaluation harnesses send it.</summary>
    public string NextMultipleChoice(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        return Grammar.Pick("multiple_choice", random);
    }

    /// <summary>
    /// The fixed part of an application's prompt: instructions and worked examples, 500 to 2,000
    /// characters, ending where the app appends its data.
    /// </summary>
    public string NextAppTemplate(Random random)
    {
        ArgumentNullException.ThrowIfNull(random);
        var app = random.Next(AppCount);
        var text = new StringBuilder(Grammar.Pick($"app_task_{app}", random));
        var closing = "\n\n" + Grammar.Pick("app_closing", random) + "\n\nInput: ";
        var target = random.Next(500, MaxLength - 250);
        var example = 1;
        while (text.Length < target)
        {
            var input = random.Next(2) == 0 ? NextRecord(random) : NextPassage(random, random.Next(40, 200));
            var shown = (example == 1 ? "\n\nExamples:\n" : "\n") + "\nInput: " + input + "\nOutput: " + Grammar.Pick($"app_output_{app}", random);
            if (text.Length + shown.Length + closing.Length > MaxLength)
            {
                break;
            }

            text.Append(shown);
            example++;
        }

        text.Append(closing);
        return text.ToString();
    }

    private string Fill(string text, Random random)
    {
        if (text.Contains("{passage}", StringComparison.Ordinal))
        {
            text = text.Replace("{passage}", NextPassage(random, PassageLength(random)), StringComparison.Ordinal);
        }

        if (text.Contains("{code}", StringComparison.Ordinal))
        {
            var code = new StringBuilder(Grammar.Pick("code_snippet", random));
            while (random.Next(3) == 0 && code.Length < 1200)
            {
                code.Append('\n').Append(Grammar.Pick("code_snippet", random));
            }

            text = text.Replace("{code}", code.ToString(), StringComparison.Ordinal);
        }

        return text;
    }

    // Pasted text: mostly a paragraph or two, sometimes a long document (log-uniform 80 to 1,700).
    private static int PassageLength(Random random) => (int)(80 * Math.Exp(random.NextDouble() * Math.Log(1700 / 80.0)));

    // People type in lower case and drop the question mark now and then.
    private static string Casual(string text, Random random)
    {
        if (random.Next(5) == 0 && text.Length > 1 && char.IsUpper(text[0]) && !char.IsUpper(text[1]))
        {
            text = char.ToLowerInvariant(text[0]) + text[1..];
        }

        if (random.Next(8) == 0 && text[^1] is '?' or '.')
        {
            text = text[..^1];
        }

        return text;
    }

    private static string Finish(string text)
    {
        if (text.Length > MaxLength)
        {
            var cut = text.LastIndexOf(' ', MaxLength - 1);
            text = text[..(cut > MaxLength / 2 ? cut : MaxLength)];
        }

        return text.Length >= MinLength ? text : text + " pls?";
    }
}
