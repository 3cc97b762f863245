using AiGuard.Anomaly;
using AiGuard.Protocols;
using AiGuard.Training.Simulation;

namespace AiGuard.Training.Evaluation;

/// <summary>Which simulated client to run: its family, the victim it queries, its seed and how long it goes on.</summary>
public sealed record ClientSpec(string Family, bool IsAttack, string Victim, int Seed, int MaxQueries)
{
    /// <summary>Whether the client is an LLM route's (it queries the toy LLM) rather than a tensor route's.</summary>
    public bool IsChat => Victim == TrafficPlan.ChatVictim;
}

/// <summary>
/// A simulated client's life as the gateway sees it: the feature vector the engine would score at
/// each of its requests, computed by the gateway's own <see cref="ClientBehaviour"/>.
/// </summary>
public sealed class ClientTrace
{
    public ClientTrace(ClientSpec spec, float[][] rows)
    {
        Spec = spec;
        Rows = rows;
    }

    public ClientSpec Spec { get; }

    /// <summary>One feature vector per request, as scored before the request is forwarded (answers up to the previous one included).</summary>
    public float[][] Rows { get; }

    /// <summary>Runs a tensor client against a victim and records the features at every request.</summary>
    public static ClientTrace Run(ClientSpec spec, ITensorClient client, IVictimModel victim)
    {
        var behaviour = new ClientBehaviour();
        var reference = AiGuard.Training.Simulation.Victims.TensorVictims.Reference(victim);
        var rows = new List<float[]>();
        foreach (var query in client.Run(victim, new Random(spec.Seed), spec.MaxQueries))
        {
            var values = new double[query.Rows.Length];
            for (var i = 0; i < values.Length; i++)
            {
                values[i] = query.Rows[i];
            }

            behaviour.ObserveTensor(query.Seconds, values, victim.InputSize, reference);
            rows.Add(Features(behaviour));
            var answer = new double[query.Probabilities.Length];
            for (var i = 0; i < answer.Length; i++)
            {
                answer[i] = query.Probabilities[i];
            }

            behaviour.ObserveAnswer(answer, victim.ClassCount);
        }

        return new ClientTrace(spec, [.. rows]);
    }

    /// <summary>Runs a chat client against an LLM victim and records the features at every request.</summary>
    public static ClientTrace Run(ClientSpec spec, IChatClient client, IChatVictim victim)
    {
        var behaviour = new ClientBehaviour();
        var rows = new List<float[]>();
        foreach (var (query, _) in client.Run(victim, new Random(spec.Seed), spec.MaxQueries))
        {
            behaviour.ObserveText(query.Seconds, ToInputs(query), ToParameters(query));
            rows.Add(Features(behaviour));
        }

        return new ClientTrace(spec, [.. rows]);
    }

    /// <summary>A chat query as the OpenAI adapter normalizes it.</summary>
    public static IReadOnlyList<InferenceInput> ToInputs(ChatQuery query) =>
        [.. query.Messages.Select((m, i) => (InferenceInput)new TextInput($"messages[{i}].content", m.Role, m.Content))];

    public static GenerationParameters ToParameters(ChatQuery query) => new()
    {
        MaxTokens = query.MaxTokens,
        Logprobs = query.Logprobs,
        TopLogprobs = query.TopLogprobs,
        LogitBias = query.LogitBias,
        Stream = query.Stream,
    };

    private static float[] Features(ClientBehaviour behaviour)
    {
        var features = new float[AnomalyFeatures.Count];
        behaviour.WriteFeatures(features);
        return features;
    }
}
