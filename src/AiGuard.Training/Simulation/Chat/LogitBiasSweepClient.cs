using System.Globalization;

namespace AiGuard.Training.Simulation.Chat;

/// <summary>
/// Attack: Carlini et al. 2024, "Stealing part of a production language model". For one prompt,
/// first the unbiased top log-probabilities, then the same prompt again and again with
/// <c>max_tokens</c> 1, <c>logprobs</c> on and a <c>logit_bias</c> of +100 on a reference token
/// plus the next <c>top_logprobs</c> - 1 token ids of the vocabulary: each answer gives those
/// tokens' logits relative to the reference. A sweep of the whole vocabulary takes a few hundred
/// to a thousand queries per prompt; the attack repeats it over many prompts to recover the
/// final projection.
/// </summary>
public sealed class LogitBiasSweepClient(ChatClientOptions? options = null) : SimulatedChatClient(options)
{
    public const double Bias = 100;

    public override string Family => "logit-bias-sweep";

    public override bool IsAttack => true;

    protected override IEnumerable<(ChatQuery Query, ChatAnswer Answer)> Generate(IChatVictim victim, Random random)
    {
        var vocabularySize = Options.VocabularySize;

        // 5 was the API's limit when the paper was written, 20 is today's.
        var topLogprobs = Pick(random, 5, 20);
        var batch = topLogprobs - 1;
        var shuffled = random.NextDouble() < 0.3;

        // Drawn after the client's settings, so that one seed does not give every family the same pace.
        var pacer = Pacer.AttackTool(random);

        while (true)
        {
            var messages = Messages(null, Options.Prompts.NextPrompt(random));
            yield return Send(victim, Query(pacer.Next(random), messages, 1, logprobs: true, topLogprobs: topLogprobs));

            var reference = random.Next(vocabularySize);
            var order = Enumerable.Range(0, vocabularySize).Where(id => id != reference).ToArray();
            if (shuffled)
            {
                random.Shuffle(order);
            }

            for (var start = 0; start < order.Length; start += batch)
            {
                var bias = new Dictionary<string, double>(batch + 1, StringComparer.Ordinal) { [Key(reference)] = Bias };
                foreach (var id in order.AsSpan(start, Math.Min(batch, order.Length - start)))
                {
                    bias[Key(id)] = Bias;
                }

                yield return Send(victim, Query(pacer.Next(random), messages, 1, logprobs: true, topLogprobs: topLogprobs, logitBias: bias));
            }
        }
    }

    private static string Key(int id) => id.ToString(CultureInfo.InvariantCulture);
}
