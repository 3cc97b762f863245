namespace AiGuard.Training.Simulation;

/// <summary>
/// A classifier that simulated clients query: rows of <see cref="InputSize"/> values in, one
/// probability vector of <see cref="ClassCount"/> values per row out. Implemented in process
/// (the victims of the training set) and over HTTP (a running gateway in the end-to-end tests).
/// </summary>
public interface IVictimModel
{
    string Name { get; }

    int InputSize { get; }

    int ClassCount { get; }

    /// <summary>Smallest valid input value (natural inputs and attacks stay within it).</summary>
    float MinValue { get; }

    /// <summary>Largest valid input value.</summary>
    float MaxValue { get; }

    /// <summary>Height and width when an input is a single-channel image laid out row by row; null for tabular inputs.</summary>
    (int Height, int Width)? ImageShape { get; }

    /// <summary>Scores <paramref name="rows"/> (a multiple of <see cref="InputSize"/>) into <paramref name="probabilities"/> (rows x classes).</summary>
    void Predict(ReadOnlySpan<float> rows, Span<float> probabilities);

    /// <summary>Draws one natural, in-distribution input into <paramref name="destination"/> and returns its true class.</summary>
    int SampleNatural(Random random, Span<float> destination);

    /// <summary>Draws one natural-looking input from another domain (what Copycat-style extraction sends).</summary>
    void SampleOutOfDomain(Random random, Span<float> destination);
}

/// <summary>One request of a simulated client to a classifier and what it got back.</summary>
/// <param name="Seconds">When it was sent, in seconds since the client's first request.</param>
/// <param name="Rows">The request's input rows, row-major (<paramref name="RowCount"/> x input size).</param>
/// <param name="Probabilities">The answer, row-major (<paramref name="RowCount"/> x classes).</param>
public sealed record TensorQuery(double Seconds, float[] Rows, int RowCount, float[] Probabilities);

/// <summary>A simulated client of a classifier: an attack tool's query pattern or a benign usage pattern.</summary>
public interface ITensorClient
{
    /// <summary>Stable lower-case family name (for example <c>hopskipjump</c>, <c>video-stream</c>).</summary>
    string Family { get; }

    bool IsAttack { get; }

    /// <summary>
    /// Runs the client against <paramref name="victim"/>, querying it for every answer it needs,
    /// and yields each request with its answer, lazily, at most <paramref name="maxQueries"/>.
    /// Deterministic for a given <paramref name="random"/> seed.
    /// </summary>
    IEnumerable<TensorQuery> Run(IVictimModel victim, Random random, int maxQueries);
}

/// <summary>One chat message.</summary>
public sealed record ChatMessage(string Role, string Content);

/// <summary>One request of a simulated client to an OpenAI-style chat completions endpoint.</summary>
/// <param name="Seconds">When it was sent, in seconds since the client's first request.</param>
/// <param name="LogitBias">Token id (as text) to bias, as the OpenAI API takes it; null when absent.</param>
public sealed record ChatQuery(
    double Seconds,
    string Model,
    IReadOnlyList<ChatMessage> Messages,
    int? MaxTokens,
    bool Logprobs,
    int? TopLogprobs,
    IReadOnlyDictionary<string, double>? LogitBias,
    bool Stream);

/// <summary>What a chat victim answered: the generated text and, when asked, the top log-probabilities of each token.</summary>
public sealed record ChatAnswer(string Text, IReadOnlyList<IReadOnlyDictionary<string, double>>? TopLogprobs);

/// <summary>An LLM that simulated chat clients query.</summary>
public interface IChatVictim
{
    ChatAnswer Complete(ChatQuery query);
}

/// <summary>A simulated client of an LLM route: an extraction/attack pattern or a benign usage pattern.</summary>
public interface IChatClient
{
    /// <summary>Stable lower-case family name (for example <c>logit-bias-sweep</c>, <c>growing-conversation</c>).</summary>
    string Family { get; }

    bool IsAttack { get; }

    /// <summary>Runs the client against <paramref name="victim"/> and yields each request with its answer, lazily, at most <paramref name="maxQueries"/>.</summary>
    IEnumerable<(ChatQuery Query, ChatAnswer Answer)> Run(IChatVictim victim, Random random, int maxQueries);
}
