using System.Globalization;
using System.Text;
using System.Text.Json;

namespace AiGuard.Cli.RedTeam;

/// <summary>
/// Generation-parameter abuse on the chat route. A guarded route caps <c>n</c> and
/// <c>top_logprobs</c> (visible in the answer) or refuses them; an absurd <c>max_tokens</c>, a
/// logit-bias sweep and tools are refused when the policy refuses them, and otherwise reported
/// as not applicable: a cap of max_tokens or a stripped parameter does not show in the answer.
/// </summary>
internal static class ParameterProbes
{
    public const string Category = "parameters";

    public const int Choices = 128;
    public const int TopLogprobs = 20;

    private static readonly string[] Codes = ["parameter_not_allowed", "tokens_exceed_budget", "invalid_body"];

    public static IEnumerable<Probe> All()
    {
        yield return Probe("many-choices", $"n={Choices} refused or capped (fewer choices come back)", $",\"n\":{Choices}", CountChoices);
        yield return Probe("top-logprobs-20", $"top_logprobs={TopLogprobs} refused, stripped or capped", $",\"logprobs\":true,\"top_logprobs\":{TopLogprobs}", CountLogprobs);
        yield return Probe("huge-max-tokens", "max_tokens=10000000 refused (a cap is not visible in the answer)", ",\"max_tokens\":10000000", Invisible("max_tokens was accepted; a cap would not show in the answer (look for parameters_changed in the audit trail)"));
        yield return Probe("logit-bias-sweep", "logit_bias (300 tokens) refused when the policy refuses it", ",\"max_tokens\":1,\"logit_bias\":" + LogitBias(), Invisible("logit_bias was accepted: the policy allows or strips it, which the answer does not show"));
        yield return Probe("tools", "tools refused when the policy refuses them", ",\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"run_shell\",\"parameters\":{\"type\":\"object\",\"properties\":{\"cmd\":{\"type\":\"string\"}}}}}],\"tool_choice\":\"auto\"", Invisible("tools were accepted: the policy allows or strips them, which the answer does not show"));
    }

    private static Probe Probe(string name, string expectation, string extra, Func<JsonElement, ProbeOutcome> served) =>
        new(Category, name, expectation, async (client, cancellationToken) =>
        {
            var response = await client.SendAsync(client.PostJson(client.Settings.ChatPath, client.Settings.ChatBody("Hello", extra)), cancellationToken);
            if (Judge.UnlessServed(response, Codes) is { } refused)
            {
                return refused;
            }

            try
            {
                using var json = JsonDocument.Parse(response.Body);
                return served(json.RootElement);
            }
            catch (JsonException)
            {
                return ProbeOutcome.Error($"answered {response.Status} with a body that is not JSON");
            }
        });

    private static ProbeOutcome CountChoices(JsonElement answer)
    {
        var count = answer.TryGetProperty("choices", out var choices) && choices.ValueKind == JsonValueKind.Array ? choices.GetArrayLength() : 0;
        return count >= Choices
            ? ProbeOutcome.GotThrough($"{count} choices came back")
            : ProbeOutcome.Stopped($"capped: {count} choice(s) came back");
    }

    private static ProbeOutcome CountLogprobs(JsonElement answer)
    {
        var most = 0;
        foreach (var choice in answer.GetProperty("choices").EnumerateArray())
        {
            if (!choice.TryGetProperty("logprobs", out var logprobs) || logprobs.ValueKind != JsonValueKind.Object
                || !logprobs.TryGetProperty("content", out var content) || content.ValueKind != JsonValueKind.Array)
            {
                continue;
            }

            foreach (var token in content.EnumerateArray())
            {
                if (token.TryGetProperty("top_logprobs", out var top) && top.ValueKind == JsonValueKind.Array)
                {
                    most = Math.Max(most, top.GetArrayLength());
                }
            }
        }

        return most >= TopLogprobs
            ? ProbeOutcome.GotThrough($"{most} alternatives per token came back")
            : most == 0 ? ProbeOutcome.Stopped("stripped: no log-probabilities came back") : ProbeOutcome.Stopped($"capped: at most {most} alternatives per token came back");
    }

    private static Func<JsonElement, ProbeOutcome> Invisible(string detail) => _ => ProbeOutcome.NotApplicable(detail);

    private static string LogitBias()
    {
        var builder = new StringBuilder("{");
        for (var token = 1000; token < 1300; token++)
        {
            builder.Append(token == 1000 ? "" : ",").Append('"').Append(token.ToString(CultureInfo.InvariantCulture)).Append("\":100");
        }

        return builder.Append('}').ToString();
    }
}
