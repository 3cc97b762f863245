namespace AiGuard.Training.Simulation.Chat;

/// <summary>Where simulated clients get their user prompts: the built-in generator or a file of real ones.</summary>
public interface IPromptSource
{
    /// <summary>Draws one user prompt; deterministic for a given <paramref name="random"/> state.</summary>
    string NextPrompt(Random random);
}
