using AiGuard.Training.Simulation.Chat;

namespace AiGuard.Tests.Training.Simulation.Chat;

public class PromptGeneratorTests
{
    private static readonly PromptGenerator Generator = PromptGenerator.Instance;

    [Fact]
    public void Prompts_are_5_to_2000_characters_varied_and_of_every_kind()
    {
        var random = new Random(1);

        var prompts = Enumerable.Range(0, 2000).Select(_ => Generator.NextPrompt(random)).ToList();

        Assert.All(prompts, p => Assert.InRange(p.Length, PromptGenerator.MinLength, PromptGenerator.MaxLength));
        Assert.True(prompts.Distinct().Count() > 1500);
        Assert.Contains(prompts, p => p.Length < 30);
        Assert.Contains(prompts, p => p.Length > 800);
        Assert.Contains(prompts, p => p.Contains("```", StringComparison.Ordinal));
        Assert.Contains(prompts, p => p.Contains("Order #", StringComparison.Ordinal));
    }

    [Fact]
    public void Same_seed_gives_the_same_prompts()
    {
        var first = new Random(2);
        var again = new Random(2);

        Assert.Equal(
            Enumerable.Range(0, 50).Select(_ => Generator.NextPrompt(first)),
            Enumerable.Range(0, 50).Select(_ => Generator.NextPrompt(again)));
    }

    [Theory]
    [InlineData(PromptKind.Question)]
    [InlineData(PromptKind.Writing)]
    [InlineData(PromptKind.Coding)]
    [InlineData(PromptKind.Math)]
    [InlineData(PromptKind.Support)]
    [InlineData(PromptKind.Chat)]
    [InlineData(PromptKind.RolePlay)]
    public void Every_kind_expands_without_leftover_slots(PromptKind kind)
    {
        var random = new Random(3);

        var prompts = Enumerable.Range(0, 200).Select(_ => Generator.NextPrompt(random, kind)).ToList();

        Assert.All(prompts, p => Assert.DoesNotMatch(@"(?<!\$)\{[a-z_]+\}|\{#\d", p));
    }

    [Fact]
    public void System_prompts_and_app_templates_are_long()
    {
        var random = new Random(4);

        Assert.All(Enumerable.Range(0, 50).Select(_ => Generator.NextSystemPrompt(random)), p => Assert.InRange(p.Length, 300, PromptGenerator.MaxLength));
        Assert.All(Enumerable.Range(0, 50).Select(_ => Generator.NextAppTemplate(random)), p => Assert.InRange(p.Length, 500, PromptGenerator.MaxLength));
    }
}
