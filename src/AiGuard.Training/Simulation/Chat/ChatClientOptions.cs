namespace AiGuard.Training.Simulation.Chat;

/// <summary>What every simulated chat client shares: the model it names, its prompts, the victim's vocabulary size.</summary>
public sealed record ChatClientOptions
{
    public static ChatClientOptions Default { get; } = new();

    /// <summary>The <c>model</c> field of every request.</summary>
    public string Model { get; init; } = "demo-chat";

    /// <summary>Where user prompts come from; the built-in generator by default, a <see cref="JsonlPromptSource"/> for evaluations.</summary>
    public IPromptSource Prompts { get; init; } = PromptGenerator.Instance;

    /// <summary>How many token ids the attacks that name token ids (logit-bias sweeps) walk: the target's public tokenizer size.</summary>
    public int VocabularySize { get; init; } = ToyVocabulary.DefaultSize;
}
