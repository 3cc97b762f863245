using System.Collections.Concurrent;
using AiGuard.Identity;
using AiGuard.Inspection.Text;
using AiGuard.Protocols;
using Microsoft.ML.Tokenizers;

namespace AiGuard.Limits;

/// <summary>Counts the tokens of a chat request's prompt with the model family's tokenizer (Microsoft.ML.Tokenizers).</summary>
/// <remarks>
/// The vocabularies ship in their NuGet packages, so counting works offline. The count follows
/// OpenAI's chat format: each message's text, plus 3 tokens of framing per message and 3 that
/// prime the answer. It is an estimate for reserving a budget; the upstream's reported usage
/// settles the real cost afterwards. The counts of a client's long messages (a system prompt,
/// a conversation resent on every turn) are remembered per encoding in a
/// <see cref="ClientTextCache{TValue}"/>, so each is counted once, not on every turn.
/// </remarks>
public sealed class PromptTokenCounter
{
    public const string DefaultEncoding = "o200k_base";

    /// <summary>The encodings whose vocabulary ships with AiGuard.</summary>
    public static readonly IReadOnlyList<string> Encodings = ["o200k_base", "cl100k_base"];

    private const int TokensPerMessage = 3;
    private const int TokensPrimingTheAnswer = 3;

    private readonly ConcurrentDictionary<string, Lazy<EncodingCounter>> _encodings = new(StringComparer.Ordinal);

    /// <summary>The prompt tokens of a request under an encoding; a <paramref name="client"/>'s long messages are counted once.</summary>
    public int Count(InferenceRequest request, string encoding, ClientIdentity? client = null)
    {
        var counting = For(encoding);
        var tokens = TokensPrimingTheAnswer;
        foreach (var input in request.Inputs)
        {
            if (input is TextInput text)
            {
                tokens += TokensPerMessage + counting.Count(text.Text, client);
            }
        }

        return tokens;
    }

    /// <summary>The tokenizer of an encoding, created once.</summary>
    public Tokenizer Tokenizer(string encoding) => For(encoding).Tokenizer;

    /// <summary>The remembered counts of an encoding (for tests and the metric).</summary>
    internal ClientTextCache<int> Cache(string encoding) => For(encoding).Counts;

    private EncodingCounter For(string encoding) =>
        _encodings.GetOrAdd(encoding, name => new Lazy<EncodingCounter>(() => new EncodingCounter(TiktokenTokenizer.CreateForEncoding(name)))).Value;

    private sealed class EncodingCounter(Tokenizer tokenizer)
    {
        public Tokenizer Tokenizer { get; } = tokenizer;

        public ClientTextCache<int> Counts { get; } = new(counters: TextCacheCounters.TokenCount);

        public int Count(string text, ClientIdentity? client)
        {
            if (client is null || !ClientTextCache.Caches(text.Length))
            {
                return Tokenizer.CountTokens(text);
            }

            if (Counts.TryGet(client.Tenant, client.ClientId, text, out var remembered, out var key))
            {
                return remembered;
            }

            var count = Tokenizer.CountTokens(text);
            Counts.Add(key, count);
            return count;
        }
    }
}
