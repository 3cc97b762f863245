using AiGuard.Training.Injection;

namespace AiGuard.Tests.Training;

/// <summary>The prompt corpora reader: labels from the row or the folder, and families that keep related rows on one side of the split.</summary>
public sealed class PromptCorpusTests : IDisposable
{
    private readonly string _folder = Path.Combine(Path.GetTempPath(), "aiguard-corpus-" + Guid.NewGuid().ToString("N"), "benign");

    public PromptCorpusTests() => Directory.CreateDirectory(_folder);

    public void Dispose() => Directory.Delete(Path.GetDirectoryName(_folder)!, recursive: true);

    [Fact]
    public void Rows_that_name_a_family_share_it_and_fall_on_one_side_of_the_split()
    {
        var path = Path.Combine(_folder, "parallel.jsonl");
        string[] translations = ["Wie spät ist es?", "¿Qué hora es?", "Quelle heure est-il ?", "Che ore sono?", "Hoe laat is het?", "Который час?"];
        File.WriteAllLines(path, [
            .. translations.Select(t => $$"""{"text": "{{t}}", "label": "benign", "source": "parallel", "family": "what-time-is-it"}"""),
            """{"text": "Wie wird das Wetter morgen?", "label": "benign", "source": "parallel", "language": "de"}""",
        ]);

        var samples = PromptCorpus.ReadFile(path);

        Assert.Equal(7, samples.Count);
        Assert.All(samples, s => Assert.False(s.Injection));
        Assert.All(samples.Take(6), s => Assert.Equal("what-time-is-it", s.Family));
        Assert.Single(samples.Take(6).Select(CorpusSplit.IsTune).Distinct());
        // Without a family, a row of a source that keeps no families is its own (its text).
        Assert.Equal("Wie wird das Wetter morgen?", samples[6].Family);
        // A row may name its language (long documents are then built in one language); most do not.
        Assert.Equal("de", samples[6].Language);
        Assert.All(samples.Take(6), s => Assert.Null(s.Language));
    }
}
