using System.Text;

namespace AiGuard.Inspection.Output;

/// <summary>What a route protects from being repeated in answers (section <c>AiGuard:Policies:&lt;name&gt;:PromptLeak</c>), OpenAI routes.</summary>
public sealed class PromptLeakOptions
{
    /// <summary>Canary tokens planted in the system prompt: an answer holding one (any case) is withheld.</summary>
    public List<string> Canaries { get; set; } = [];

    /// <summary>System prompts the route's application sends: an answer that reproduces one, exactly or nearly, is withheld.</summary>
    public List<string> SystemPrompts { get; set; } = [];

    /// <summary>Also protect the system and developer messages of each request itself.</summary>
    public bool ProtectRequestSystemPrompt { get; set; }

    /// <summary>The share of a prompt's four-word sequences an answer may repeat before it counts as a leak (0-1).</summary>
    public double MaxOverlap { get; set; } = PromptLeakPolicy.DefaultMaxOverlap;

    public bool IsActive => Canaries.Count > 0 || SystemPrompts.Count > 0 || ProtectRequestSystemPrompt;
}

/// <summary>A route's leak policy, resolved once per configuration: canaries and the word sequences of its prompts.</summary>
public sealed class PromptLeakPolicy
{
    public const double DefaultMaxOverlap = 0.5;

    /// <summary>However long a prompt, this many of its word sequences repeated is a leak.</summary>
    public const int MaxRepeatedSequences = 12;

    /// <summary>Words per sequence.</summary>
    public const int SequenceWords = 4;

    public PromptLeakPolicy(PromptLeakOptions options)
    {
        Canaries = [.. options.Canaries.Where(c => c.Length > 0).Distinct(StringComparer.OrdinalIgnoreCase)];
        MaxCanaryLength = Canaries.Length == 0 ? 0 : Canaries.Max(c => c.Length);
        ProtectRequestSystemPrompt = options.ProtectRequestSystemPrompt;
        MaxOverlap = options.MaxOverlap;
        Prompts = [.. options.SystemPrompts.Select(p => PromptSequences.Of(p, MaxOverlap)).Where(p => p.Threshold > 0)];
    }

    public string[] Canaries { get; }

    public int MaxCanaryLength { get; }

    public bool ProtectRequestSystemPrompt { get; }

    public double MaxOverlap { get; }

    /// <summary>The configured prompts' word sequences.</summary>
    public PromptSequences[] Prompts { get; }
}

/// <summary>The four-word sequences of one protected prompt and how many of them an answer may repeat.</summary>
public sealed class PromptSequences
{
    [ThreadStatic]
    private static List<Words.Word>? t_words;

    private PromptSequences(HashSet<long> sequences, int threshold)
    {
        Sequences = sequences;
        Threshold = threshold;
    }

    public HashSet<long> Sequences { get; }

    /// <summary>Repeated sequences at which an answer leaks the prompt; 0 when the prompt is too short to tell.</summary>
    public int Threshold { get; }

    public static PromptSequences Of(string prompt, double maxOverlap)
    {
        var words = Words.Read(prompt, ref t_words);
        var sequences = new HashSet<long>(Math.Max(0, words.Count - PromptLeakPolicy.SequenceWords + 1));
        for (var i = PromptLeakPolicy.SequenceWords - 1; i < words.Count; i++)
        {
            sequences.Add(Words.Sequence(words[i - 3].Hash, words[i - 2].Hash, words[i - 1].Hash, words[i].Hash));
        }

        // Short prompts: most of them; long ones: the first dozen repeated sequences already give them away.
        var threshold = sequences.Count == 0 ? 0 : Math.Clamp((int)Math.Ceiling(maxOverlap * sequences.Count), 1, PromptLeakPolicy.MaxRepeatedSequences);
        return new PromptSequences(sequences, threshold);
    }
}

/// <summary>
/// The words of a text (runs of letters and digits, case-folded) as 64-bit hashes with where each
/// is, read without allocating a string per word. The hashes start from a per-process random
/// seed, so nobody can choose prompts whose sequences collide in the sets that hold them.
/// </summary>
internal static class Words
{
    private static readonly ulong Seed = BitConverter.ToUInt64(System.Security.Cryptography.RandomNumberGenerator.GetBytes(sizeof(ulong)));

    /// <summary>One word: its hash and its span in the text it was read from.</summary>
    public readonly record struct Word(ulong Hash, int Start, int End);

    /// <summary>Reads the words of <paramref name="text"/> into <paramref name="scratch"/> (created on first use, cleared first) and returns it.</summary>
    public static List<Word> Read(ReadOnlySpan<char> text, ref List<Word>? scratch)
    {
        var words = scratch ??= new List<Word>(64);
        words.Clear();
        var i = 0;
        while (i < text.Length)
        {
            if (!char.IsLetterOrDigit(text[i]))
            {
                i++;
                continue;
            }

            var start = i;
            var hash = Seed ^ 14695981039346656037UL;
            while (i < text.Length && char.IsLetterOrDigit(text[i]))
            {
                hash = (hash ^ char.ToLowerInvariant(text[i])) * 1099511628211UL;
                i++;
            }

            words.Add(new Word(hash, start, i));
        }

        return words;
    }

    /// <summary>The sequence of four words, in order, as one hash.</summary>
    public static long Sequence(ulong first, ulong second, ulong third, ulong fourth)
    {
        const ulong Multiplier = 0x9E3779B97F4A7C15UL;
        var hash = (((((first * Multiplier) + second) * Multiplier) + third) * Multiplier) + fourth;

        // SplitMix64's finalizer: every input bit reaches every output bit.
        hash = (hash ^ (hash >> 30)) * 0xBF58476D1CE4E5B9UL;
        hash = (hash ^ (hash >> 27)) * 0x94D049BB133111EBUL;
        return (long)(hash ^ (hash >> 31));
    }
}

/// <summary>
/// The leak check of one answer (or one choice of a stream): canaries and repeated prompt
/// sequences. In a stream it holds back the text that could be the start of a canary and a
/// run of words that repeats a prompt, so a leak is cut before the client sees it.
/// </summary>
public sealed class LeakWatch
{
    [ThreadStatic]
    private static List<Words.Word>? t_answerWords;

    private readonly PromptLeakPolicy _policy;
    private readonly PromptSequences[] _prompts;
    private readonly HashSet<long>[] _repeated;
    private readonly StringBuilder _pending = new();

    // The last words sent (at most three: a sequence that ends on a new word starts among them).
    private readonly ulong[] _history = new ulong[PromptLeakPolicy.SequenceWords - 1];
    private int _historyCount;
    private List<Words.Word>? _words;
    private string _context = string.Empty;

    public LeakWatch(PromptLeakPolicy policy, PromptSequences[] prompts)
    {
        _policy = policy;
        _prompts = prompts;
        _repeated = [.. prompts.Select(_ => new HashSet<long>())];
    }

    /// <summary>Characters held back.</summary>
    public int PendingLength => _pending.Length;

    /// <summary>What a whole answer leaks, if anything: a canary or a protected prompt.</summary>
    public static string? Check(PromptLeakPolicy policy, PromptSequences[] prompts, string text)
    {
        foreach (var canary in policy.Canaries)
        {
            if (text.Contains(canary, StringComparison.OrdinalIgnoreCase))
            {
                return "a canary token of this route";
            }
        }

        if (prompts.Length == 0)
        {
            return null;
        }

        var words = Words.Read(text, ref t_answerWords);
        foreach (var prompt in prompts)
        {
            // Distinct repeated sequences; an answer that repeats none (nearly every one) allocates nothing.
            List<long>? repeated = null;
            for (var i = PromptLeakPolicy.SequenceWords - 1; i < words.Count; i++)
            {
                var hash = Words.Sequence(words[i - 3].Hash, words[i - 2].Hash, words[i - 1].Hash, words[i].Hash);
                if (prompt.Sequences.Contains(hash) && !(repeated ??= []).Contains(hash))
                {
                    repeated.Add(hash);
                    if (repeated.Count >= prompt.Threshold)
                    {
                        return "the route's system prompt";
                    }
                }
            }
        }

        return null;
    }

    /// <summary>Adds text; returns what can be passed on, or a leak (then nothing more is to be sent).</summary>
    public (string Release, string? Leak) Push(string piece, bool final)
    {
        _pending.Append(piece);
        var pending = _pending.ToString();

        // Canaries: anywhere in what is not sent yet (with the last sent characters, for one split across events).
        var window = _context + pending;
        foreach (var canary in _policy.Canaries)
        {
            if (window.Contains(canary, StringComparison.OrdinalIgnoreCase))
            {
                return (string.Empty, "a canary token of this route");
            }
        }

        var hold = final ? pending.Length : pending.Length - CanaryPrefix(pending);
        if (_prompts.Length == 0)
        {
            // Canaries only: no words to follow.
            var sent = pending[..hold];
            Commit(sent);
            _pending.Remove(0, hold);
            return (sent, null);
        }

        // Prompt sequences: those that end on a word not sent yet (the earlier ones are counted in _repeated).
        var words = Words.Read(pending, ref _words);
        var complete = final || pending.Length == 0 || !char.IsLetterOrDigit(pending[^1]) ? words.Count : words.Count - 1;
        var total = _historyCount + complete;
        var run = -1;
        for (var p = 0; p < _prompts.Length; p++)
        {
            var repeated = _repeated[p];
            List<long>? added = null;
            var trailing = -1;
            for (var i = PromptLeakPolicy.SequenceWords - 1; i < total; i++)
            {
                var hash = Words.Sequence(HashAt(words, i - 3), HashAt(words, i - 2), HashAt(words, i - 1), HashAt(words, i));
                if (_prompts[p].Sequences.Contains(hash))
                {
                    if (!repeated.Contains(hash) && !(added ??= []).Contains(hash))
                    {
                        added.Add(hash);
                    }

                    trailing = trailing < 0 ? i - PromptLeakPolicy.SequenceWords + 1 : trailing;
                }
                else
                {
                    trailing = -1;
                }
            }

            if (repeated.Count + (added?.Count ?? 0) >= _prompts[p].Threshold)
            {
                return (string.Empty, "the route's system prompt");
            }

            if (trailing >= 0)
            {
                // The answer is repeating the prompt right now: hold those words until the run breaks.
                run = run < 0 ? trailing : Math.Min(run, trailing);
            }
        }

        if (!final && run >= 0)
        {
            var firstPendingWord = Math.Max(0, run - _historyCount);
            hold = Math.Min(hold, firstPendingWord < words.Count ? words[firstPendingWord].Start : pending.Length);
        }

        if (!final && complete < words.Count)
        {
            // The word being written is not over.
            hold = Math.Min(hold, words[^1].Start);
        }

        var release = pending[..hold];
        Commit(release);
        _pending.Remove(0, hold);
        return (release, null);
    }

    /// <summary>The hash of word <paramref name="index"/> of the sent history followed by the pending words.</summary>
    private ulong HashAt(List<Words.Word> pending, int index) =>
        index < _historyCount ? _history[index] : pending[index - _historyCount].Hash;

    /// <summary>Records sent text: its words and sequences count from now on, its tail is canary context.</summary>
    private void Commit(string sent)
    {
        if (sent.Length == 0)
        {
            return;
        }

        var joined = _context + sent;
        _context = joined.Length > _policy.MaxCanaryLength ? joined[^_policy.MaxCanaryLength..] : joined;
        if (_prompts.Length == 0)
        {
            return;
        }

        foreach (var word in Words.Read(sent, ref _words))
        {
            if (_historyCount == _history.Length)
            {
                var hash = Words.Sequence(_history[0], _history[1], _history[2], word.Hash);
                for (var p = 0; p < _prompts.Length; p++)
                {
                    if (_prompts[p].Sequences.Contains(hash))
                    {
                        _repeated[p].Add(hash);
                    }
                }

                _history[0] = _history[1];
                _history[1] = _history[2];
                _history[2] = word.Hash;
            }
            else
            {
                _history[_historyCount++] = word.Hash;
            }
        }
    }

    /// <summary>The length of the longest end of <paramref name="text"/> that begins a canary.</summary>
    private int CanaryPrefix(string text)
    {
        var longest = 0;
        foreach (var canary in _policy.Canaries)
        {
            for (var length = Math.Min(canary.Length - 1, text.Length); length > longest; length--)
            {
                if (text.AsSpan(text.Length - length).Equals(canary.AsSpan(0, length), StringComparison.OrdinalIgnoreCase))
                {
                    longest = length;
                    break;
                }
            }
        }

        return longest;
    }
}
