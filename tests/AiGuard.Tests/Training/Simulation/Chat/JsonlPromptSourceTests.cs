using AiGuard.Training.Simulation.Chat;

namespace AiGuard.Tests.Training.Simulation.Chat;

public class JsonlPromptSourceTests
{
    [Fact]
    public void Reads_the_text_of_each_line_and_skips_blank_ones()
    {
        var source = JsonlPromptSource.Read(new StringReader("{\"text\": \"first\", \"label\": \"benign\"}\n\n{\"text\": \"second\"}\n"), "p.jsonl");

        Assert.Equal(["first", "second"], source.Prompts);
        Assert.Contains(source.NextPrompt(new Random(1)), source.Prompts);
    }

    [Fact]
    public void Reads_alpaca_style_instructions_with_their_input()
    {
        var source = JsonlPromptSource.Read(
            new StringReader("{\"instruction\": \"Fix the grammar.\", \"instances\": [{\"input\": \"He go home.\", \"output\": \"He goes home.\"}]}\n{\"instruction\": \"Name a color.\", \"instances\": [{\"input\": \"\"}]}\n"),
            "seed.jsonl");

        Assert.Equal(["Fix the grammar.\n\nHe go home.", "Name a color."], source.Prompts);
    }

    [Theory]
    [InlineData("{\"text\": \"ok\"}\n{\"prompt\": \"x\"}\n")]
    [InlineData("{\"text\": \"ok\"}\nnot json\n")]
    [InlineData("{\"text\": \"ok\"}\n{\"text\": \"\"}\n")]
    public void Names_the_bad_line(string jsonl)
    {
        var error = Assert.Throws<InvalidDataException>(() => JsonlPromptSource.Read(new StringReader(jsonl), "p.jsonl"));

        Assert.StartsWith("p.jsonl line 2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Loads_a_file_by_path()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "{\"text\": \"from a file\"}\n");

            Assert.Equal(["from a file"], JsonlPromptSource.Load(path).Prompts);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void An_empty_file_is_refused()
    {
        Assert.Throws<InvalidDataException>(() => JsonlPromptSource.Read(new StringReader("\n\n"), "empty.jsonl"));
    }
}
