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
        var words = Words.Of(prompt, out _);
        var sequences = new HashSet<long>();
        for (var i = PromptLeakPolicy.SequenceWords - 1; i < words.Count; i++)
        {
            sequences.Add(Words.Sequence(words, i));
        }

        // Short prompts: most of them; long ones: the first dozen repeated sequences already give them away.
        var threshold = sequences.Count == 0 ? 0 : Math.Clamp((int)Math.Ceiling(maxOverlap * sequences.Count), 1, PromptLeakPolicy.MaxRepeatedSequences);
        return new PromptSequences(sequences, threshold);
    }
}

/// <summary>Case-folded words (runs of letters and digits) of a text, with where each ends.</summary>
internal static class Words
{
    public static List<string> Of(string text, out List<(int Start, int End)> spans)
    {
        var words = new List<string>();
        spans = [];
        var i = 0;
        while (i < text.Length)
        {
            if (!char.IsLetterOrDigit(text[i]))
            {
                i++;
                continue;
            }

            var start = i;
            while (i < text.Length && char.IsLetterOrDigit(text[i]))
            {
                i++;
            }

            words.Add(text[start..i].ToLowerInvariant());
            spans.Add((start, i));
        }

        return words;
    }

    /// <summary>The sequence of <see cref="PromptLeakPolicy.SequenceWords"/> words ending at <paramref name="last"/>, as one hash.</summary>
    public static long Sequence(IReadOnlyList<string> words, int last)
    {
        var hash = new HashCode();
        for (var i = last - PromptLeakPolicy.SequenceWords + 1; i <= last; i++)
        {
            hash.Add(words[i], StringComparer.Ordinal);
        }

        // Two independent 32-bit hashes: a false repeat needs both to collide.
        var second = 17L;
        for (var i = last - PromptLeakPolicy.SequenceWords + 1; i <= last; i++)
        {
            second = (second * 31) + string.GetHashCode(words[i], StringComparison.Ordinal);
        }

        return ((long)hash.ToHashCode() << 32) ^ (second & 0xffffffffL);
    }
}

/// <summary>
/// The leak check of one answer (or one choice of a stream): canaries and repeated prompt
/// sequences. In a stream it holds back the text that could be the start of a canary and a
/// run of words that repeats a prompt, so a leak is cut before the client sees it.
/// </summary>
public sealed class LeakWatch
{
    private readonly PromptLeakPolicy _policy;
    private readonly PromptSequences[] _prompts;
    private readonly HashSet<long>[] _repeated;
    private readonly StringBuilder _pending = new();
    private readonly List<string> _releasedWords = [];
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

        return prompts.Length == 0 ? null : new LeakWatch(policy, prompts).Push(text, final: true).Leak;
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

        // Prompt sequences: the words after the last sent ones.
        var words = Words.Of(pending, out var spans);
        var complete = final || pending.Length == 0 || !char.IsLetterOrDigit(pending[^1]) ? words.Count : words.Count - 1;
        var sequence = new List<string>(_releasedWords.Count + complete);
        sequence.AddRange(_releasedWords);
        sequence.AddRange(words.Take(complete));
        var run = -1;
        for (var p = 0; p < _prompts.Length; p++)
        {
            var repeated = new HashSet<long>(_repeated[p]);
            var trailing = -1;
            for (var i = Math.Max(PromptLeakPolicy.SequenceWords - 1, _releasedWords.Count); i < sequence.Count; i++)
            {
                var hash = Words.Sequence(sequence, i);
                if (_prompts[p].Sequences.Contains(hash))
                {
                    repeated.Add(hash);
                    trailing = trailing < 0 ? i - PromptLeakPolicy.SequenceWords + 1 : trailing;
                }
                else
                {
                    trailing = -1;
                }
            }

            if (repeated.Count >= _prompts[p].Threshold)
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
            var firstPendingWord = Math.Max(0, run - _releasedWords.Count);
            hold = Math.Min(hold, firstPendingWord < spans.Count ? spans[firstPendingWord].Start : pending.Length);
        }

        if (!final && complete < words.Count)
        {
            // The word being written is not over.
            hold = Math.Min(hold, spans[^1].Start);
        }

        var release = pending[..hold];
        Commit(release);
        _pending.Remove(0, hold);
        return (release, null);
    }

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

        foreach (var word in Words.Of(sent, out _))
        {
            _releasedWords.Add(word);
            if (_releasedWords.Count >= PromptLeakPolicy.SequenceWords)
            {
                var hash = Words.Sequence(_releasedWords, _releasedWords.Count - 1);
                for (var p = 0; p < _prompts.Length; p++)
                {
                    if (_prompts[p].Sequences.Contains(hash))
                    {
                        _repeated[p].Add(hash);
                    }
                }
            }

            if (_releasedWords.Count > 64)
            {
                // Only the last few words join the next sequences; the counts are kept in _repeated.
                _releasedWords.RemoveRange(0, _releasedWords.Count - PromptLeakPolicy.SequenceWords);
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
