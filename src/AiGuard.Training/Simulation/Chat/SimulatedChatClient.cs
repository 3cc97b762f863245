namespace AiGuard.Training.Simulation.Chat;

/// <summary>
/// The shared part of the simulated chat clients: argument checks, the <c>maxQueries</c> cap and
/// building requests. A client writes its pattern as an endless iterator in <see cref="Generate"/>;
/// <see cref="Run"/> stops it after <c>maxQueries</c> requests, so nothing is sent beyond the cap.
/// </summary>
public abstract class SimulatedChatClient : IChatClient
{
    protected SimulatedChatClient(ChatClientOptions? options) => Options = options ?? ChatClientOptions.Default;

    public abstract string Family { get; }

    public abstract bool IsAttack { get; }

    protected ChatClientOptions Options { get; }

    public IEnumerable<(ChatQuery Query, ChatAnswer Answer)> Run(IChatVictim victim, Random random, int maxQueries)
    {
        ArgumentNullException.ThrowIfNull(victim);
        ArgumentNullException.ThrowIfNull(random);
        ArgumentOutOfRangeException.ThrowIfNegative(maxQueries);
        return Generate(victim, random).Take(maxQueries);
    }

    /// <summary>The client's requests and answers, lazily, possibly without end.</summary>
    protected abstract IEnumerable<(ChatQuery Query, ChatAnswer Answer)> Generate(IChatVictim victim, Random random);

    protected ChatQuery Query(
        double seconds,
        IReadOnlyList<ChatMessage> messages,
        int? maxTokens,
        bool logprobs = false,
        int? topLogprobs = null,
        IReadOnlyDictionary<string, double>? logitBias = null,
        bool stream = false) =>
        new(seconds, Options.Model, messages, maxTokens, logprobs, topLogprobs, logitBias, stream);

    protected static (ChatQuery Query, ChatAnswer Answer) Send(IChatVictim victim, ChatQuery query) => (query, victim.Complete(query));

    /// <summary>A single-turn conversation: the user's prompt, after a system prompt when there is one.</summary>
    protected static ChatMessage[] Messages(string? system, string prompt) =>
        system is null ? [new ChatMessage("user", prompt)] : [new ChatMessage("system", system), new ChatMessage("user", prompt)];

    /// <summary>One of <paramref name="values"/>, uniformly.</summary>
    protected static T Pick<T>(Random random, params ReadOnlySpan<T> values) => values[random.Next(values.Length)];
}
