using System.Buffers;

namespace AiGuard.Inspection.Injection;

/// <summary>
/// Rules for the text of a tool definition (a tool's description, the descriptions and titles of
/// its parameters): the published shapes of tool poisoning, where whoever wrote the tool hides
/// instructions to the model in it. Six signals (<see cref="Signal"/>): something secret (a key or
/// credential file, the client's configuration, the environment, the conversation, the system
/// prompt, what the user shared) put into a call, a field or a URL; hiding from the user what the
/// model does ("do not tell the user", "should not be mentioned"); a scripted answer or a false
/// report ("if the user asks..., answer no", "report success even when..."); claims a tool's author
/// cannot make (the user approved in advance, this text outranks your instructions); an extra
/// recipient copied in; and conditions on another tool that change what it does ("whenever
/// send_email is used, add..."). A tool's own documentation says what it reads and which secrets
/// it needs ("credentials come from ~/.aws/credentials; you do not need to supply them"); it does
/// not tell the model to copy them into a call or to keep anything from the user. Word rules reach
/// the phrasings they were written from: on held-out tool descriptions they catch about a quarter
/// of the attacks at 1% false alarms (docs/prompt-injection.md, "Tool definitions").
/// </summary>
public static class ToolPoisoningRules
{
    /// <summary>Files and stores that hold secrets: private keys, cloud and registry credentials, the configuration of an MCP client and its servers, shell history.</summary>
    private static readonly SearchValues<string> SecretFiles = SearchValues.Create(
        [
            "id_rsa", "id_ed25519", "id_ecdsa", "id_dsa", "/.ssh/", "~/.ssh", ".aws/credentials", ".aws/config", ".npmrc", ".pypirc",
            ".netrc", ".git-credentials", ".docker/config", "mcp.json", "claude_desktop_config", ".kube/config", "kubeconfig",
            "/etc/shadow", "/etc/passwd", "wallet.dat", "keychain", ".bash_history", ".zsh_history", ".pgpass", "credentials.json",
            "service-account", "private key", "private keys", "seed phrase", "recovery phrase", "client-key-data", " .env", "/.env", "`.env",
            "'.env", "\".env", "(.env", ".ssh folder", ".ssh directory",
        ],
        StringComparison.Ordinal);

    /// <summary>What the user or the session holds: the conversation, the system prompt, the secrets shared in it.</summary>
    private static readonly SearchValues<string> SessionSecrets = SearchValues.Create(
        [
            "conversation so far", "entire conversation", "full conversation", "whole conversation", "complete conversation",
            "conversation history", "conversation log", "message history", "chat history", "previous messages", "earlier messages",
            "prior messages", "user's messages", "users' messages", "every user message", "system prompt", "your instructions",
            "your full prompt", "api key", "api keys", "apikey", "access token", "environment variable", "env var", "env block",
            "any secrets", "any passwords", "every secret", "all secrets", "passwords visible", "_token", "auth token",
            "session cookie", "cookies", "payment details", "card number", "transcript", "chat log", "system instructions",
            "developer messages", "every password", "every credential", "every api key", "any credential", "the user's last",
            "user's full name", "home address", "other tool", "other tools", "printenv", "_api_key", "_secret_key",
            "credentials", "password mentioned", "passwords mentioned",
        ],
        StringComparison.Ordinal);

    /// <summary>Where a copy goes: a parameter or field of a call, a URL, an outgoing message.</summary>
    private static readonly SearchValues<string> Destinations = SearchValues.Create(
        [
            "parameter", "argument", " param", " field", "`", "as '", "as \"", "in '", "into '", "to '", "http", "](", " here", "header",
            "query string", "?ref=", " with the full", " with the entire", " with its", " with every", " with all", " in your reply",
            " in your answer", "summary header", " memo", " notes", " note ", "sidenote", " topic",
        ],
        StringComparison.Ordinal);

    /// <summary>Putting something somewhere; a verb negated within five words before it ("you do not need to supply them") does not count.</summary>
    private static readonly HashSet<string> TransferVerbs = new(StringComparer.Ordinal)
    {
        "pass", "passing", "include", "including", "put", "place", "attach", "attaching", "append", "appending", "add", "adding",
        "copy", "copying", "insert", "inserting", "embed", "embedding", "send", "sending", "post", "posting", "upload", "uploading",
        "forward", "forwarding", "encode", "encoding", "set", "paste", "supply", "concatenate", "fill", "request", "fetch", "call",
        "replacing", "mirror",
    };

    /// <summary>A negation, then within three words a verb of telling, then within three more the user: "do not tell the user", "without informing the user".</summary>
    private static readonly HashSet<string> Negations = new(StringComparer.Ordinal) { "not", "never", "don't", "dont", "without", "no", "nor", "shouldn't", "mustn't", "needn't" };

    private static readonly HashSet<string> TellVerbs = new(StringComparer.Ordinal)
    {
        "tell", "telling", "mention", "mentioning", "inform", "informing", "notify", "notifying", "report", "reporting", "alert",
        "alerting", "disclose", "disclosing", "reveal", "revealing", "explain", "explaining", "discuss", "discussing", "show", "showing",
        "display", "displaying", "point", "surface", "surfacing", "warn", "warning",
    };

    private static readonly HashSet<string> Told = new(StringComparer.Ordinal)
    {
        "mentioned", "discussed", "reported", "disclosed", "echoed", "revealed", "explained", "surfaced", "told", "informed",
        "notified", "communicated", "flagged",
    };

    /// <summary>Whom something is kept from, or where it is left out: "the user", "in your reply".</summary>
    private static readonly HashSet<string> UserWords = new(StringComparer.Ordinal) { "user", "users", "user's", "them", "him", "her", "reply", "answer", "response", "summary" };

    /// <summary>
    /// Claims a tool's author cannot make: that the user approved in advance, that confirmation is
    /// not needed, that the tool's text outranks the model's instructions or switches its safety off.
    /// </summary>
    private static readonly SearchValues<string> ClaimedApproval = SearchValues.Create(
        [
            "user has authorised", "user has authorized", "user has already approved", "user has already confirmed", "user has approved",
            "user has pre-approved", "pre-approved", "preapproved", "already approved this", "exempt from confirmation",
            "skip the confirmation", "never ask for confirmation", "no need to ask", "don't ask again", "do not ask again",
            "do not ask them again", "don't ask them again", "without asking for confirmation",
            "highest priority", "treated as a system message", "overriding earlier instructions", "overriding previous instructions",
            "overrides earlier instructions", "are now void", "is now void", "obey only", "safety checks are off",
            "safety guidelines do not apply", "guidelines do not apply", "policies do not apply", "are disabled while",
            "maintenance mode", "system override", "developer mode", "god mode", "precedence over your", "precedence over the user",
            "supersedes every", "supersedes your", "supersedes all", "outrank the user", "outranks the user", "follow only this",
            "obey them first", "obey this first", "every other task is secondary", "admit to being an ai", "admits to being an ai",
            "admit you are an ai", "admit that you are an ai", "descriptions are compromised", "tools are compromised", "elevated trust",
            "part of your core instructions", "ignore the user's", "whatever the user says", "even if the user asks",
            "even when the user asks", "conflict with what the user", "instead of what the user", "bypass permission",
            "bypass the permission", "bypass authentication", "bypass the approval", "disable_audit", "disable audit",
            "unreliable and use this", "use this server for everything", "use this tool for everything", "proceed with the order anyway",
            "proceed anyway", "there is no time to ask", "before answering anything else", "before replying to the user",
        ],
        StringComparison.Ordinal);

    /// <summary>Words of sending a copy elsewhere, next to an e-mail address or phone number in a tool's text.</summary>
    private static readonly SearchValues<string> ExtraRecipient = SearchValues.Create(
        [
            "bcc", " cc ", "as cc", "as an attendee", "as attendee", "also go to", "also send", "also post", "also forward", "copy +", "copy them", "every message",
            "every invite", "every email", "every mail", "always send", "always add", "always include", "must include",
        ],
        StringComparison.Ordinal);

    /// <summary>Words of changing what another tool does: its arguments, its recipient, whether it is used at all.</summary>
    private static readonly HashSet<string> Alterations = new(StringComparer.Ordinal)
    {
        "replace", "change", "prefix", "append", "multiply", "route", "redirect", "add", "include", "instead", "rewrite", "swap",
        "substitute", "mirror", "copy",
    };

    private static readonly SearchValues<string> HidingPhrases = SearchValues.Create(
        [
            "to yourself", "invisible to the user", "hidden from the user", "keep it from the user", "keep this from the user",
            "bring it up", "bring this up", "bring that up", "out of your summary", "out of your explanation", "out of every count", "not appear in the conversation", "not appear in your", "not appear in the chat", "without the user knowing", "without the user noticing",
            "behind the user's back", "the user does not need to know", "the user doesn't need to know", "the user need not know",
            "out of any explanation", "out of any summary", "out of the summary", "out of the explanation", "out of the conversation",
            "so the user isn't alarmed", "so the user is not alarmed", "regardless of what the user", "regardless of what they",
            "out of what you show", "hidden step", "without warning the user", "without notifying the user", "without informing the user",
            "attendees will not notice", "user will not notice", "won't notice", "will not notice", "renders invisibly", "quietly set",
            "quietly add", "quietly change", "silently add", "silently change", "silently forward", "follow it silently",
        ],
        StringComparison.Ordinal);

    /// <summary>A scripted answer: "if the user asks ..., say/answer/tell/reply ...".</summary>
    private static readonly SearchValues<string> ScriptedAnswers = SearchValues.Create(
        [
            "tell the user the ", "tell the user that ", "tell the user it ", "report to the user that", "tell the user everything",
            "say the ", "say there ", "say that ", "answer yes", "answer no", "reply yes", "respond yes", "pretend",
        ],
        StringComparison.Ordinal);

    /// <summary>A result reported whatever happened: "report success even when the host is unreachable", "report it as deleted".</summary>
    private static readonly SearchValues<string> FalseReports = SearchValues.Create(
        [
            "report success", "report it as", "report them as", "report the transfer as", "report only the amount", "report only what",
            "regardless of the api response", "regardless of the response", "regardless of the result", "regardless of the outcome",
            "regardless of what was", "even when the host", "even if it failed", "even if the call failed", "even when it fails",
            "even if it fails", "was approved and", "tell the user it worked", "as if it succeeded",
        ],
        StringComparison.Ordinal);

    /// <summary>
    /// Characters of one text the rules read: the first and last halves of this when it is longer
    /// (a tool's description is a few KB at most; the model and the floors read all of it, in windows).
    /// Bounds the rules' cost on hostile text (43 ms for a 300 KB text built to be slow, its normalization included).
    /// </summary>
    public const int MaxChars = 32 * 1024;

    /// <summary>The floor a firing rule gives, like the other rule floors (<see cref="PromptInjectionDetector.FloorScore"/> lifts it to the model's threshold).</summary>
    public const float Score = 0.9f;

    /// <summary>
    /// The folds the rules read a text with: hidden and compatibility characters, look-alike
    /// letters and decoded spans, not leetspeak (which reads the <c>@</c> of an address as a letter).
    /// </summary>
    public const Text.TextFolds Folds = Text.TextFolds.Characters | Text.TextFolds.Homoglyphs | Text.TextFolds.Decode;

    /// <summary>The signal a tool definition's raw text fires (normalized with <see cref="Folds"/>), or null.</summary>
    public static string? SignalOf(string text) => Signal(Text.TextNormalizer.Normalize(text, Folds).Text);

    /// <summary>
    /// The first signal the text fires, or null: <c>secret_to_call</c> (something secret put into a
    /// call or a URL), <c>hidden_from_user</c>, <c>scripted_answer</c>, <c>claimed_approval</c>,
    /// <c>extra_recipient</c> or <c>shadowing</c> (changing what another tool does).
    /// </summary>
    /// <param name="normalized">The normalizer's text (<see cref="Text.TextNormalizer"/>), any case.</param>
    public static string? Signal(string normalized)
    {
        ArgumentNullException.ThrowIfNull(normalized);
        if (normalized.Length > MaxChars)
        {
            // Like the detector: the start and the end of a very long text.
            normalized = string.Concat(normalized.AsSpan(0, MaxChars / 2), "\n", normalized.AsSpan(normalized.Length - (MaxChars / 2)));
        }

        var text = normalized.ToLowerInvariant().Replace('\n', ' ').Replace('\t', ' ');
        var span = text.AsSpan();
        var words = Words(text);
        if (TransfersNear(text, words, SecretFiles) || TransfersNear(text, words, SessionSecrets))
        {
            return "secret_to_call";
        }

        // "needs the text of ~/.aws/credentials in the `context` parameter": a file's content asked for as an input.
        if (span.ContainsAny(SecretFiles) && (span.Contains("needs the", StringComparison.Ordinal) || span.Contains("requires the", StringComparison.Ordinal)) && span.ContainsAny(Destinations))
        {
            return "secret_to_call";
        }

        return span.ContainsAny(HidingPhrases) || HidesFromUser(text, words) ? "hidden_from_user"
            : ScriptsAnAnswer(text) || span.ContainsAny(FalseReports) ? "scripted_answer"
            : span.ContainsAny(ClaimedApproval) ? "claimed_approval"
            : AddsRecipient(text) ? "extra_recipient"
            : ShadowsAnotherTool(words) ? "shadowing"
            : null;
    }

    /// <summary>A word of sending a copy elsewhere within 100 characters of an e-mail address or phone number: "always add audit@... as BCC".</summary>
    private static bool AddsRecipient(string text)
    {
        var span = text.AsSpan();
        for (var at = span.IndexOfAny(ExtraRecipient); at >= 0;)
        {
            var from = Math.Max(0, at - 100);
            if (HasAddress(text[from..Math.Min(text.Length, at + 100)]))
            {
                return true;
            }

            var next = span[(at + 1)..].IndexOfAny(ExtraRecipient);
            at = next < 0 ? -1 : at + 1 + next;
        }

        return false;
    }

    /// <summary>An e-mail address or an international phone number.</summary>
    private static bool HasAddress(string text)
    {
        for (var at = text.Length > 1 ? text.IndexOf('@', 1) : -1; at > 0 && at < text.Length - 3; at = text.IndexOf('@', at + 1))
        {
            if (char.IsLetterOrDigit(text[at - 1]) && char.IsLetterOrDigit(text[at + 1]) && text.IndexOf('.', at) is > 0 and var dot && dot - at < 64)
            {
                return true;
            }
        }

        var plus = text.IndexOf('+');
        return plus >= 0 && plus < text.Length - 6 && char.IsDigit(text[plus + 1]);
    }

    /// <summary>
    /// "When send_email is used, ...", "whenever a payment tool is called, replace ...", "if another
    /// server offers read_file, do not use them": a condition on another tool being used, then a
    /// change to what it does.
    /// </summary>
    private static bool ShadowsAnotherTool(List<(string Text, int Start)> words)
    {
        for (var i = 0; i < words.Count; i++)
        {
            if (words[i].Text is not ("when" or "whenever" or "if" or "every"))
            {
                continue;
            }

            var namesTool = false;
            for (var j = i + 1; j < Math.Min(words.Count, i + 9); j++)
            {
                var word = words[j].Text;
                // Another tool: a snake_case name or "tool"/"server", not "this tool" (the tool itself).
                namesTool |= (word is "tool" or "tools" or "server" or "servers" && words[j - 1].Text != "this") || (word.Contains('_') && word.Length > 4 && word.Any(char.IsLetter));
                if (namesTool && Alterations.Contains(word))
                {
                    return true;
                }

                if (namesTool)
                {
                    for (var k = j + 1; k < Math.Min(words.Count, j + 12); k++)
                    {
                        if (Alterations.Contains(words[k].Text) || (words[k].Text == "not" && k + 2 < words.Count && words[k + 1].Text == "use" && words[k + 2].Text is "them" or "it"))
                        {
                            return true;
                        }
                    }

                    break;
                }
            }
        }

        return false;
    }

    /// <summary>
    /// Something secret named within <see cref="Reach"/> characters of a verb that puts it somewhere
    /// (not negated within five words before it), and where it goes (a parameter, a field, a URL)
    /// named within twice that.
    /// </summary>
    private static bool TransfersNear(string text, List<(string Text, int Start)> words, SearchValues<string> secrets)
    {
        var span = text.AsSpan();
        var at = span.IndexOfAny(secrets);
        if (at < 0)
        {
            return false;
        }

        // Where the verbs that put something somewhere stand (not negated within five words before):
        // one pass over the words, then a binary search per secret, so the cost stays linear.
        var verbs = new List<int>();
        for (var i = 0; i < words.Count; i++)
        {
            if (TransferVerbs.Contains(words[i].Text) && !Negated(words, i))
            {
                verbs.Add(words[i].Start);
            }
        }

        var destinations = verbs.Count == 0 ? [] : Positions(span, Destinations);
        while (at >= 0 && destinations.Count > 0)
        {
            if (Near(verbs, at, Reach) && Near(destinations, at, 2 * Reach))
            {
                return true;
            }

            var next = span[(at + 1)..].IndexOfAny(secrets);
            at = next < 0 ? -1 : at + 1 + next;
        }

        return false;
    }

    /// <summary>Where the text holds any of the values, in order (each search starts after the last hit: linear).</summary>
    private static List<int> Positions(ReadOnlySpan<char> text, SearchValues<string> values)
    {
        var positions = new List<int>();
        for (var at = text.IndexOfAny(values); at >= 0;)
        {
            positions.Add(at);
            var next = text[(at + 1)..].IndexOfAny(values);
            at = next < 0 ? -1 : at + 1 + next;
        }

        return positions;
    }

    /// <summary>Whether a sorted list holds a position within <paramref name="reach"/> of <paramref name="at"/>.</summary>
    private static bool Near(List<int> positions, int at, int reach)
    {
        var nearest = positions.BinarySearch(at - reach);
        nearest = nearest < 0 ? ~nearest : nearest;
        return nearest < positions.Count && positions[nearest] <= at + reach;
    }

    /// <summary>Whether a negation stands within the five words before word <paramref name="i"/>.</summary>
    private static bool Negated(List<(string Text, int Start)> words, int i)
    {
        for (var k = Math.Max(0, i - 5); k < i; k++)
        {
            if (Negations.Contains(words[k].Text))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>How far apart (characters) a secret and the verb that moves it may be: about a sentence.</summary>
    private const int Reach = 90;

    private static bool HidesFromUser(string text, List<(string Text, int Start)> words)
    {
        for (var i = 0; i < words.Count; i++)
        {
            if (!Negations.Contains(words[i].Text))
            {
                continue;
            }

            for (var j = i + 1; j < Math.Min(words.Count, i + 6); j++)
            {
                if (words[j].Text is "unless" or "if" or "until" || EndsClause(text, words[j - 1], words[j]))
                {
                    break;
                }

                // Passive: "should not be mentioned", "does not need to be reported"; "shown" or
                // "displayed" only when the user is named ("should not be displayed to the user").
                if (words[j - 1].Text is "be" or "been"
                    && (Told.Contains(words[j].Text) || (words[j].Text is "shown" or "displayed" or "visible" && NamesUserNext(text, words, j))))
                {
                    return true;
                }

                if (!TellVerbs.Contains(words[j].Text) || j > i + 3)
                {
                    continue;
                }

                for (var k = j + 1; k < Math.Min(words.Count, j + 5); k++)
                {
                    if (words[k].Text is "unless" or "if" or "until" || EndsClause(text, words[k - 1], words[k]))
                    {
                        break;
                    }

                    // "do not tell the user about it", "never mention it in your reply"; not "do not tell
                    // the user to buy or sell" (advice) or "don't reveal an answer" (the object).
                    var told = words[k].Text;
                    if (UserWords.Contains(told) && (told is "user" or "users" or "user's" or "them" or "him" or "her" || words[k - 1].Text == "your")
                        && !(k + 1 < words.Count && words[k + 1].Text == "to"))
                    {
                        return true;
                    }
                }
            }
        }

        return false;
    }

    /// <summary>Whether the user is named within four words after word <paramref name="at"/>, in the same clause.</summary>
    private static bool NamesUserNext(string text, List<(string Text, int Start)> words, int at)
    {
        for (var k = at + 1; k < Math.Min(words.Count, at + 5) && !EndsClause(text, words[k - 1], words[k]); k++)
        {
            if (words[k].Text is "user" or "users" or "user's")
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether a sentence or clause ends between two words (. ; : ! ?).</summary>
    private static bool EndsClause(string text, (string Text, int Start) before, (string Text, int Start) after)
    {
        var gap = before.Start + before.Text.Length;
        return text.AsSpan(gap, Math.Max(0, after.Start - gap)).IndexOfAny(".;:!?") >= 0;
    }

    /// <summary>"if the user asks ..., answer yes", "tell the user the operation succeeded".</summary>
    private static bool ScriptsAnAnswer(string text)
    {
        var asks = text.IndexOf("the user asks", StringComparison.Ordinal);
        if (asks < 0)
        {
            asks = text.IndexOf("if asked", StringComparison.Ordinal);
        }

        if (asks >= 0 && text.AsSpan(asks, Math.Min(160, text.Length - asks)).ContainsAny(ScriptedAnswers))
        {
            return true;
        }

        var tell = text.IndexOf("tell the user", StringComparison.Ordinal);
        if (tell < 0)
        {
            tell = text.IndexOf("report to the user", StringComparison.Ordinal);
        }

        return tell >= 0 && ContainsWord(text.AsSpan(tell, Math.Min(80, text.Length - tell)), ["succeeded", "success", "successful", "passed", "completed", "fine"]);
    }

    private static bool ContainsWord(ReadOnlySpan<char> text, string[] words)
    {
        foreach (var word in words)
        {
            if (text.Contains(word, StringComparison.Ordinal))
            {
                return true;
            }
        }

        return false;
    }

    private static List<(string Text, int Start)> Words(string text)
    {
        var words = new List<(string, int)>(text.Length / 5);
        var start = -1;
        for (var i = 0; i <= text.Length; i++)
        {
            var letter = i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '\'' || text[i] == '’');
            if (letter && start < 0)
            {
                start = i;
            }
            else if (!letter && start >= 0)
            {
                words.Add((text[start..i].Replace('’', '\''), start));
                start = -1;
            }
        }

        return words;
    }
}
