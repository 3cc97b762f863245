using System.Collections.Concurrent;
using AiGuard.Protocols;
using Microsoft.ML.Tokenizers;

namespace AiGuard.Limits;

/// <summary>Counts the tokens of a chat request's prompt with the model family's tokenizer (Microsoft.ML.Tokenizers).</summary>
/// <remarks>
/// The vocabularies ship in their NuGet packages, so counting works offline. The count follows
/// OpenAI's chat format: each message's text, plus 3 tokens of framing per message and 3 that
/// prime the answer. It is an estimate for reserving a budget; the upstream's reported usage
/// settles the real cost afterwards.
/// </remarks>
public sealed class PromptTokenCounter
{
    public const string DefaultEncoding = "o200k_base";

    /// <summary>The encodings whose vocabulary ships with AiGuard.</summary>
    public static readonly IReadOnlyList<string> Encodings = ["o200k_base", "cl100k_base"];

    private const int TokensPerMessage = 3;
    private const int TokensPrimingTheAnswer = 3;

    private readonly ConcurrentDictionary<string, Lazy<Tokenizer>> _tokenizers = new(StringComparer.Ordinal);

    /// <summary>The prompt tokens of a request under an encoding.</summary>
    public int Count(InferenceRequest request, string encoding)
    {
        var tokenizer = Tokenizer(encoding);
        var tokens = TokensPrimingTheAnswer;
        foreach (var input in request.Inputs)
        {
            if (input is TextInput text)
            {
                tokens += TokensPerMessage + tokenizer.CountTokens(text.Text);
            }
        }

        return tokens;
    }

    /// <summary>The tokenizer of an encoding, created once.</summary>
    public Tokenizer Tokenizer(string encoding) =>
        _tokenizers.GetOrAdd(encoding, name => new Lazy<Tokenizer>(() => TiktokenTokenizer.CreateForEncoding(name))).Value;
}
