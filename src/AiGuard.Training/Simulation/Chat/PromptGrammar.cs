using System.Globalization;
using System.Text;

namespace AiGuard.Training.Simulation.Chat;

/// <summary>
/// A tiny template grammar: <c>{name}</c> expands to one of the rule's alternatives (which may hold
/// more slots), <c>{#a-b}</c> to a whole number in [a, b].
/// </summary>
internal sealed class PromptGrammar(IReadOnlyDictionary<string, string[]> rules)
{
    private const int MaxDepth = 12;

    public string Expand(string template, Random random)
    {
        var text = new StringBuilder(template.Length * 2);
        Expand(template, random, text, 0);
        return text.ToString();
    }

    public string Pick(string rule, Random random) => Expand("{" + rule + "}", random);

    private void Expand(string template, Random random, StringBuilder text, int depth)
    {
        if (depth > MaxDepth)
        {
            throw new InvalidOperationException($"Prompt grammar recursion deeper than {MaxDepth} in '{template}'.");
        }

        var at = 0;
        while (at < template.Length)
        {
            var open = template.IndexOf('{', at);
            var close = open < 0 ? -1 : template.IndexOf('}', open + 1);
            if (close < 0)
            {
                text.Append(template, at, template.Length - at);
                return;
            }

            text.Append(template, at, open - at);
            var slot = template.AsSpan(open + 1, close - open - 1);
            if (TryRange(slot, out var low, out var high))
            {
                text.Append(random.Next(low, high + 1).ToString(CultureInfo.InvariantCulture));
            }
            else if (rules.TryGetValue(slot.ToString(), out var alternatives))
            {
                Expand(alternatives[random.Next(alternatives.Length)], random, text, depth + 1);
            }
            else
            {
                // Not a slot (a brace of code or JSON): kept, and the scan goes on right after it.
                text.Append('{');
                at = open + 1;
                continue;
            }

            at = close + 1;
        }
    }

    private static bool TryRange(ReadOnlySpan<char> slot, out int low, out int high)
    {
        low = high = 0;
        var dash = slot.IndexOf('-');
        return slot.Length > 0 && slot[0] == '#' && dash > 1
            && int.TryParse(slot[1..dash], NumberStyles.None, CultureInfo.InvariantCulture, out low)
            && int.TryParse(slot[(dash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out high)
            && low <= high;
    }
}
