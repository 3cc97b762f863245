namespace AiGuard.Training.Simulation.Chat;

/// <summary>
/// The toy LLM's tokens: a few hundred common English words and punctuation first (low ids, as
/// in real tokenizers where frequent tokens come early), then made-up words built from syllables,
/// all distinct, so a token's text names its id.
/// </summary>
public sealed class ToyVocabulary
{
    public const int DefaultSize = 4096;

    // Roughly by frequency; punctuation sits among the words so that it comes often but not first.
    private static readonly string[] Common =
    [
        "the", "and", "to", "of", "a", "is", "in", "that", "it", "for", "you", "I", "on", "with", "as", "can", "this", "be",
        "are", ".", "or", "your", "by", "an", "not", ",", "if", "will", "from", "at", "have", "has", "was", "were", "which",
        "what", "when", "how", "why", "where", "who", "all", "each", "some", "any", "one", "two", "three", "many", "\n",
        "most", "other", "such", "these", "those", "there", "their", "they", "them", "we", "our", "my", "me", "he", "she",
        "Sure", "Here", "Yes", "No", "The", "This", "It", "You", "We", "To", "In", "For", "First", "Then", "Finally",
        "However", "also", "more", "his", "her", "do", "does", "did", "done", "make", "use", "used", "using", "get", "set",
        "?", "run", "see", "know", "think", "want", "need", "help", "like", "just", "only", "very", "well", "good", "best",
        "new", "first", "last", "long", "short", "small", "large", "high", "low", "same", "different", "important", ":",
        "example", "step", "steps", "way", "time", "year", "day", "people", "world", "system", "data", "value", "number",
        "code", "function", "model", "user", "question", "answer", "information", "result", "results", "problem", "!",
        "solution", "list", "point", "case", "part", "process", "method", "change", "order", "account", "service",
        "support", "email", "file", "page", "text", "word", "words", "line", "name", "type", "key", "error", "request",
        "response", "because", "so", "but", "than", "then", "into", "about", "over", "after", "before", "between", "(", ")",
        "through", "during", "without", "within", "while", "should", "could", "would", "may", "might", "must", "shall",
        "let", "us", "note", "please", "thanks", "can't", "don't", "won't", "it's", "I'm", "you're", "sorry", "happy", "-",
        "glad", "here", "below", "above", "following", "main", "simple", "easy", "hard", "common", "specific", "general",
        "possible", "available", "able", "likely", "often", "usually", "always", "never", "sometimes", "typically",
        "generally", "especially", "directly", "quickly", "carefully", "clearly", "instead", "rather", "therefore", "too",
        "again", "still", "already", "yet", "even", "much", "less", "few", "several", "both", "either", "neither", "every",
        "next", "previous", "own", "\"", "'s", "1", "2", "3", "4", "5", "6", "7", "8", "9", "0", "true", "false", "null",
        "return", "class", "public", "var", "def", "import", "int", "string", "SELECT", "FROM", "WHERE", "=", "+", "*", "/",
        "<", ">", "{", "}", "[", "]", ";", "`", "```", "#", "##", "**", "1.", "2.", "3.",
    ];

    private static readonly string[] Onsets =
        ["b", "br", "c", "ch", "cl", "d", "dr", "f", "fl", "fr", "g", "gl", "gr", "h", "j", "k", "l", "m", "n", "p", "pl", "pr",
         "qu", "r", "s", "sc", "sh", "sl", "sp", "st", "t", "th", "tr", "v", "w", "z", ""];

    private static readonly string[] Vowels = ["a", "e", "i", "o", "u", "ai", "ea", "ou", "io", "y"];

    private static readonly string[] Codas = ["", "", "", "n", "r", "s", "t", "l", "m", "nd", "st", "ck", "ng", "x"];

    private readonly string[] _tokens;
    private readonly Dictionary<string, int> _ids;

    /// <summary>Builds <paramref name="size"/> distinct tokens; the made-up words depend on <paramref name="seed"/>.</summary>
    public ToyVocabulary(int size = DefaultSize, int seed = 1)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(size, 16);
        _tokens = new string[size];
        _ids = new Dictionary<string, int>(size, StringComparer.Ordinal);
        var count = 0;
        foreach (var word in Common)
        {
            if (count == size)
            {
                break;
            }

            if (_ids.TryAdd(word, count))
            {
                _tokens[count++] = word;
            }
        }

        var random = new Random(seed);
        while (count < size)
        {
            var word = MadeUpWord(random);
            if (_ids.TryAdd(word, count))
            {
                _tokens[count++] = word;
            }
        }
    }

    public int Count => _tokens.Length;

    public string this[int id] => _tokens[id];

    public bool TryGetId(string token, out int id) => _ids.TryGetValue(token, out id);

    /// <summary>Whether <paramref name="token"/> attaches to the previous one without a space.</summary>
    public static bool IsPunctuation(string token) =>
        token.Length > 0 && !char.IsLetterOrDigit(token[0]) && token is not ("\"" or "(" or "{" or "[" or "`" or "```" or "#" or "##" or "**");

    private static string MadeUpWord(Random random)
    {
        var syllables = 1 + random.Next(3);
        var chars = new System.Text.StringBuilder();
        for (var s = 0; s < syllables; s++)
        {
            chars.Append(Onsets[random.Next(Onsets.Length)]).Append(Vowels[random.Next(Vowels.Length)]);
            if (s == syllables - 1 || random.Next(3) == 0)
            {
                chars.Append(Codas[random.Next(Codas.Length)]);
            }
        }

        return chars.ToString();
    }
}
