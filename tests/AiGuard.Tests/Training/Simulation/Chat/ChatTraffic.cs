using System.Text.Json;
using AiGuard.Training.Simulation;
using AiGuard.Training.Simulation.Chat;

namespace AiGuard.Tests.Training.Simulation.Chat;

/// <summary>Shared victim and helpers of the chat simulation tests.</summary>
internal static class ChatTraffic
{
    public static readonly ToyChatVictim Victim = new(seed: 1);

    public static TheoryData<string> Families => [.. ChatClients.Families];

    public static List<(ChatQuery Query, ChatAnswer Answer)> Run(string family, int seed, int maxQueries) =>
        ChatClients.Create(family).Run(Victim, new Random(seed), maxQueries).ToList();

    /// <summary>The request and answer as JSON, so that runs compare by content.</summary>
    public static string Canonical((ChatQuery Query, ChatAnswer Answer) exchange) => JsonSerializer.Serialize(exchange.Query) + JsonSerializer.Serialize(exchange.Answer);

    /// <summary>The request without its send time.</summary>
    public static string Content(ChatQuery query) => JsonSerializer.Serialize(query with { Seconds = 0 });

    public static string LastUser(ChatQuery query) => query.Messages[^1].Content;

    public static ChatQuery Ask(string prompt, int? maxTokens = null, bool logprobs = false, int? topLogprobs = null, IReadOnlyDictionary<string, double>? logitBias = null) =>
        new(0, "demo-chat", [new ChatMessage("user", prompt)], maxTokens, logprobs, topLogprobs, logitBias, false);

    /// <summary>Counts the victim's answers, to show that clients ask only for what is consumed.</summary>
    public sealed class CountingVictim(IChatVictim inner) : IChatVictim
    {
        public int Calls { get; private set; }

        public ChatAnswer Complete(ChatQuery query)
        {
            Calls++;
            return inner.Complete(query);
        }
    }
}
