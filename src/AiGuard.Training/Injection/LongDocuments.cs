namespace AiGuard.Training.Injection;

/// <summary>
/// Long benign texts built from short labelled prompts: several prompts of one benign source, one
/// after the other. The corpora's benign rows are short prompts and many of their
/// attacks are long, so a model trained on them alone learns that length itself is suspicious,
/// and flags long benign tool results, logs and retrieved documents; these rows teach it that a
/// long text is benign unless something in it is not. (Documents with an injection inside are
/// not built: their benign context would carry every source's text into every fold of the
/// leave-one-source-out tuning.)
/// </summary>
/// <remarks>
/// Built from the rows given (training uses the tuning part only; the report uses the report
/// part with another seed), so no text crosses the split. Each row keeps its source, so leaving a
/// source out of training leaves its long documents out too. Deterministic for a seed.
/// </remarks>
public static class LongDocuments
{
    /// <summary>Family prefix of the built rows.</summary>
    public const string FamilyPrefix = "long-document:";

    /// <summary>
    /// Builds the long documents of <paramref name="samples"/>: per benign source, about a quarter
    /// as many as it has rows (between 10 and 200), each of 3 to 12 of its prompts; where the rows
    /// name their language, each document is in one language (a document mixing languages is a
    /// text no one writes, and the model would never see a long text in one other language).
    /// </summary>
    public static List<PromptSample> Build(IReadOnlyList<PromptSample> samples, int seed)
    {
        var random = new Random(seed);
        var built = new List<PromptSample>();
        foreach (var source in samples.Where(s => !s.Injection).GroupBy(s => s.Source, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var rows = source.ToArray();
            if (rows.Length < 3)
            {
                continue;
            }

            var count = Math.Clamp(rows.Length / 4, 10, 200);
            var byLanguage = rows.Any(r => r.Language is not null)
                ? rows.GroupBy(r => r.Language ?? string.Empty, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => g.ToArray()).ToArray()
                : null;
            for (var i = 0; i < count; i++)
            {
                var pool = byLanguage is null ? rows : byLanguage[random.Next(byLanguage.Length)];
                var parts = Enumerable.Range(0, random.Next(3, 13)).Select(_ => pool[random.Next(pool.Length)].Text);
                built.Add(new PromptSample(string.Join(Separator(random), parts), Injection: false, source.Key, FamilyPrefix + i, pool[0].Language));
            }
        }

        return built;
    }

    /// <summary>One separator per document: paragraphs, lines or running text.</summary>
    private static string Separator(Random random) => random.Next(3) switch
    {
        0 => "\n\n",
        1 => "\n",
        _ => " ",
    };
}
