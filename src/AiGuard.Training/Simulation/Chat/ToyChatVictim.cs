using System.Globalization;
using System.Text;

namespace AiGuard.Training.Simulation.Chat;

/// <summary>
/// A deterministic toy LLM with the output layer that Carlini et al. (2024) attack. A toy has no
/// transformer, so each step's hidden state is one of a fixed set of random vectors, picked by a
/// seeded hash of the conversation, the position and the previous token; the logits are a fixed
/// random final projection of it plus a frequency prior, and the token is the arg-max after
/// <c>logit_bias</c>. So the same conversation always gets the same answer, <c>max_tokens</c> only
/// cuts it short, a +100 bias makes a token win, and the log-probabilities it returns are a real
/// softmax over the whole vocabulary whose vectors span a space of dimension
/// <see cref="HiddenSize"/> + 1 (what Finlayson et al. 2024 and Carlini et al. recover).
/// </summary>
/// <remarks>
/// Each hidden state's logits are summarized once (the top tokens and the softmax normalizer), so
/// an answer costs a hash and a lookup per token; a positive bias is folded into that summary
/// exactly, and only a negative bias needs the whole vocabulary again.
/// </remarks>
public sealed class ToyChatVictim : IChatVictim
{
    /// <summary>The OpenAI API's limit on <c>top_logprobs</c>.</summary>
    public const int MaxTopLogprobs = 20;

    // Logit standard deviation from the projection, and how fast the prior falls with the token id.
    private const float LogitScale = 2.5f;
    private const float PriorSlope = 0.9f;

    // Tokens kept per hidden state: room for top_logprobs 20 after up to 12 biased tokens took places.
    private const int Kept = MaxTopLogprobs + 12;

    private readonly ulong _seed;
    private readonly int _maxAnswerTokens;
    private readonly float[] _projection;
    private readonly float[] _prior;
    private readonly float[] _states;
    private readonly StateSummary?[] _summaries;

    /// <param name="seed">Selects the vocabulary's made-up words, the projection, the hidden states and every answer.</param>
    /// <param name="vocabularySize">Number of tokens.</param>
    /// <param name="hiddenSize">Width of the hidden state and of the final projection.</param>
    /// <param name="hiddenStates">How many distinct hidden states the hash picks from.</param>
    /// <param name="maxAnswerTokens">Longest answer when the request sets no <c>max_tokens</c>.</param>
    public ToyChatVictim(int seed = 1, int vocabularySize = ToyVocabulary.DefaultSize, int hiddenSize = 64, int hiddenStates = 2048, int maxAnswerTokens = 4096)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabularySize, Kept);
        ArgumentOutOfRangeException.ThrowIfLessThan(hiddenSize, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(hiddenStates, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxAnswerTokens, 1);
        Vocabulary = new ToyVocabulary(vocabularySize, seed);
        HiddenSize = hiddenSize;
        _maxAnswerTokens = maxAnswerTokens;
        _seed = StableHash.Start((ulong)seed);

        var random = new SplitMix(StableHash.Add(_seed, "projection"));
        var scale = LogitScale / MathF.Sqrt(hiddenSize);
        _projection = new float[vocabularySize * hiddenSize];
        for (var i = 0; i < _projection.Length; i++)
        {
            _projection[i] = random.NextNormal() * scale;
        }

        _states = new float[hiddenStates * hiddenSize];
        for (var i = 0; i < _states.Length; i++)
        {
            _states[i] = random.NextNormal();
        }

        _prior = new float[vocabularySize];
        for (var id = 0; id < vocabularySize; id++)
        {
            _prior[id] = -PriorSlope * MathF.Log(1 + id);
        }

        _summaries = new StateSummary?[hiddenStates];
    }

    public ToyVocabulary Vocabulary { get; }

    public int HiddenSize { get; }

    public ChatAnswer Complete(ChatQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        if (query.MaxTokens is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(query), query.MaxTokens, "max_tokens must be at least 1.");
        }

        if (query.TopLogprobs is < 0 or > MaxTopLogprobs)
        {
            throw new ArgumentOutOfRangeException(nameof(query), query.TopLogprobs, $"top_logprobs must be between 0 and {MaxTopLogprobs}.");
        }

        var bias = ParseBias(query.LogitBias);
        var conversation = HashConversation(query.Messages);
        var count = NaturalLength(conversation);
        if (query.MaxTokens is { } max && max < count)
        {
            count = max;
        }

        var k = query.TopLogprobs ?? 0;
        var text = new StringBuilder();
        var top = query.Logprobs ? new List<IReadOnlyDictionary<string, double>>(count) : null;
        var previous = -1;
        for (var position = 0; position < count; position++)
        {
            var hash = StableHash.Add(StableHash.Add(conversation, (ulong)position), (ulong)(previous + 1));
            var state = (int)(hash % (ulong)_summaries.Length);
            var step = Step(state, bias, Math.Max(k, 1));
            Append(text, Vocabulary[step.Ids[0]]);
            top?.Add(ToLogprobs(step, Math.Max(k, 1)));
            previous = step.Ids[0];
        }

        return new ChatAnswer(text.ToString(), top);
    }

    private ulong HashConversation(IReadOnlyList<ChatMessage> messages)
    {
        var hash = _seed;
        foreach (var message in messages)
        {
            hash = StableHash.Add(StableHash.Add(hash, message.Role), message.Content);
        }

        return hash;
    }

    // How long the answer would be without max_tokens: log-normal around 150 tokens (from a few
    // to a few thousand), as chat answers are; the model stops on its own well before 4,000.
    private int NaturalLength(ulong conversation)
    {
        var random = new SplitMix(StableHash.Add(conversation, "length"));
        var length = (int)Math.Round(150 * Math.Exp(0.9 * random.NextNormal()));
        return Math.Clamp(length, 1, _maxAnswerTokens);
    }

    /// <summary>The most likely <paramref name="k"/> tokens (at least one) under <paramref name="bias"/>, and the log normalizer.</summary>
    private StateSummary Step(int state, (int Id, double Value)[] bias, int k)
    {
        var summary = Summary(state);
        if (bias.Length == 0)
        {
            return summary;
        }

        if (bias.Any(b => b.Value < 0))
        {
            return Summarize(state, bias, k);
        }

        // A positive bias only raises the biased tokens, so the unbiased ones that can still be
        // on top are the first unbiased ones of the summary; the normalizer gains exactly
        // exp(l + b) - exp(l) per biased token.
        var candidates = new List<(int Id, double Logit)>(Kept + bias.Length);
        var biased = new HashSet<int>(bias.Select(b => b.Id));
        for (var i = 0; i < summary.Ids.Length; i++)
        {
            if (!biased.Contains(summary.Ids[i]))
            {
                candidates.Add((summary.Ids[i], summary.Logits[i]));
            }
        }

        if (candidates.Count < k)
        {
            return Summarize(state, bias, k);
        }

        var peak = summary.LogNormalizer;
        foreach (var (id, value) in bias)
        {
            peak = Math.Max(peak, Logit(state, id) + value);
        }

        var sum = Math.Exp(summary.LogNormalizer - peak);
        foreach (var (id, value) in bias)
        {
            var logit = Logit(state, id);
            sum += Math.Exp(logit + value - peak) - Math.Exp(logit - peak);
            candidates.Add((id, logit + value));
        }

        var best = candidates.OrderByDescending(c => c.Logit).ThenBy(c => c.Id).Take(k).ToArray();
        return new StateSummary([.. best.Select(c => c.Id)], [.. best.Select(c => c.Logit)], peak + Math.Log(sum));
    }

    private StateSummary Summary(int state)
    {
        // Computing a summary twice in a race gives the same result, so a plain publish is enough.
        var summary = Volatile.Read(ref _summaries[state]);
        if (summary is null)
        {
            summary = Summarize(state, [], Kept);
            Volatile.Write(ref _summaries[state], summary);
        }

        return summary;
    }

    // The whole vocabulary's logits for one state: the top k, most likely first (ties to the
    // lower id), and the log of the softmax normalizer.
    private StateSummary Summarize(int state, (int Id, double Value)[] bias, int k)
    {
        var logits = new double[Vocabulary.Count];
        for (var id = 0; id < logits.Length; id++)
        {
            logits[id] = Logit(state, id);
        }

        foreach (var (id, value) in bias)
        {
            logits[id] += value;
        }

        var best = new int[k];
        var filled = 0;
        var peak = double.NegativeInfinity;
        for (var id = 0; id < logits.Length; id++)
        {
            peak = Math.Max(peak, logits[id]);
            if (filled == k && logits[id] <= logits[best[k - 1]])
            {
                continue;
            }

            var at = Math.Min(filled, k - 1);
            while (at > 0 && logits[best[at - 1]] < logits[id])
            {
                best[at] = best[at - 1];
                at--;
            }

            best[at] = id;
            filled = Math.Min(filled + 1, k);
        }

        double sum = 0;
        foreach (var logit in logits)
        {
            sum += Math.Exp(logit - peak);
        }

        return new StateSummary(best, [.. best.Select(id => logits[id])], peak + Math.Log(sum));
    }

    // Four partial sums in a fixed order: the same bits on every machine and in every build.
    private double Logit(int state, int id)
    {
        var width = HiddenSize;
        var row = id * width;
        var hidden = state * width;
        float a = 0, b = 0, c = 0, d = 0;
        var i = 0;
        for (; i + 4 <= width; i += 4)
        {
            a += _projection[row + i] * _states[hidden + i];
            b += _projection[row + i + 1] * _states[hidden + i + 1];
            c += _projection[row + i + 2] * _states[hidden + i + 2];
            d += _projection[row + i + 3] * _states[hidden + i + 3];
        }

        for (; i < width; i++)
        {
            a += _projection[row + i] * _states[hidden + i];
        }

        return (a + b) + (c + d) + _prior[id];
    }

    private (int Id, double Value)[] ParseBias(IReadOnlyDictionary<string, double>? logitBias)
    {
        if (logitBias is null || logitBias.Count == 0)
        {
            return [];
        }

        var bias = new (int, double)[logitBias.Count];
        var i = 0;
        foreach (var (key, value) in logitBias)
        {
            // Canonical ids only, so "05" cannot bias token 5 a second time.
            if (!int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id >= Vocabulary.Count
                || id.ToString(CultureInfo.InvariantCulture) != key)
            {
                throw new ArgumentException($"logit_bias key '{key}' is not a token id below {Vocabulary.Count}.", nameof(logitBias));
            }

            if (!(value is >= -100 and <= 100))
            {
                throw new ArgumentException($"logit_bias value {value} for token {key} is not between -100 and 100.", nameof(logitBias));
            }

            bias[i++] = (id, value);
        }

        return bias;
    }

    // The k most likely tokens, most likely first. With top_logprobs 0 the API still returns the
    // chosen token's log-probability, so k is at least 1.
    private Dictionary<string, double> ToLogprobs(StateSummary step, int k)
    {
        var result = new Dictionary<string, double>(k, StringComparer.Ordinal);
        for (var i = 0; i < k; i++)
        {
            result[Vocabulary[step.Ids[i]]] = step.Logits[i] - step.LogNormalizer;
        }

        return result;
    }

    private static void Append(StringBuilder text, string token)
    {
        if (text.Length > 0 && !ToyVocabulary.IsPunctuation(token) && text[^1] != '\n')
        {
            text.Append(' ');
        }

        text.Append(token);
    }

    /// <summary>A hidden state's most likely tokens with their logits, and the log of the softmax normalizer.</summary>
    private sealed record StateSummary(int[] Ids, double[] Logits, double LogNormalizer);
}
