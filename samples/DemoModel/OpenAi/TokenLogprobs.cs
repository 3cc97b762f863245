using System.Text;
using System.Text.Json;

namespace DemoModel.OpenAi;

/// <summary>
/// Deterministic log-probabilities for a generated token: a stable hash of the token and its position,
/// so that the same request always gets the same numbers.
/// </summary>
internal static class TokenLogprobs
{
    // More entries than MaxTopLogprobs, so alternatives never repeat.
    private static readonly string[] Alternatives =
        [
            " the", " a", " demo", " model", ".", ",", " and", " to", " of", " is", " gateway", " reply",
            " answer", " it", " test", " this", " that", " for", " with", " on", " token", " every",
        ];

    public static void WriteEntry(Utf8JsonWriter writer, string token, int position, int topLogprobs)
    {
        var hash = StableHash(token, position);
        var logprob = -(hash % 2000) / 1000.0;
        writer.WriteStartObject();
        WriteTokenFields(writer, token, logprob);
        writer.WriteStartArray("top_logprobs");
        if (topLogprobs > 0)
        {
            // The sampled token is the most likely one here; the alternatives trail it.
            writer.WriteStartObject();
            WriteTokenFields(writer, token, logprob);
            writer.WriteEndObject();
            var written = 1;
            for (var offset = 0; written < topLogprobs; offset++)
            {
                var alternative = Alternatives[(int)((hash + (uint)offset) % (uint)Alternatives.Length)];
                if (alternative == token)
                {
                    continue;
                }

                writer.WriteStartObject();
                WriteTokenFields(writer, alternative, Math.Round(logprob - (0.5 * written) - 0.25, 4));
                writer.WriteEndObject();
                written++;
            }
        }

        writer.WriteEndArray();
        writer.WriteEndObject();
    }

    private static void WriteTokenFields(Utf8JsonWriter writer, string token, double logprob)
    {
        writer.WriteString("token", token);
        writer.WriteNumber("logprob", logprob);
        writer.WriteStartArray("bytes");
        foreach (var b in Encoding.UTF8.GetBytes(token))
        {
            writer.WriteNumberValue(b);
        }

        writer.WriteEndArray();
    }

    // FNV-1a, because string.GetHashCode is randomized per process.
    private static uint StableHash(string token, int position)
    {
        var hash = 2166136261u ^ (uint)position;
        foreach (var b in Encoding.UTF8.GetBytes(token))
        {
            hash = (hash ^ b) * 16777619u;
        }

        return hash;
    }
}
