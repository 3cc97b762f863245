using AiGuard.Training.Simulation;
using AiGuard.Training.Simulation.Chat;
using AiGuard.Training.Simulation.Tensor;
using AiGuard.Training.Simulation.Victims;

namespace AiGuard.Training.Evaluation;

/// <summary>Which simulated traffic to generate: victims, families, clients per family, seeds.</summary>
public sealed record TrafficPlan
{
    /// <summary>The LLM victim's name in client specs.</summary>
    public const string ChatVictim = "toy-chat";

    public int ClientsPerFamily { get; init; } = 24;

    /// <summary>Requests per client at most (a client's own pattern may end sooner).</summary>
    public int MaxQueries { get; init; } = 600;

    /// <summary>Base seed; every client's seed derives from it, its victim, family and index.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Tensor victims to run the tensor families against (see <see cref="TensorVictims"/>).</summary>
    public IReadOnlyList<string> Victims { get; init; } = ["demo-classifier", "glyphs"];

    /// <summary>Whether the chat families run too (against <see cref="ChatVictim"/>).</summary>
    public bool Chat { get; init; } = true;

    /// <summary>Families to leave out (to test on attacks the model never saw).</summary>
    public IReadOnlySet<string> Without { get; init; } = new HashSet<string>(StringComparer.Ordinal);

    /// <summary>Only these families, when set.</summary>
    public IReadOnlySet<string>? Only { get; init; }

    /// <summary>Only the benign families (the clients a threshold is tuned on).</summary>
    public bool BenignOnly { get; init; }

    /// <summary>The clients this plan describes, in a stable order.</summary>
    public IReadOnlyList<ClientSpec> Clients()
    {
        var specs = new List<ClientSpec>();
        foreach (var victim in Victims)
        {
            foreach (var family in TensorClients.All)
            {
                Add(specs, family.Family, family.IsAttack, victim);
            }
        }

        if (Chat)
        {
            foreach (var family in ChatClients.All)
            {
                Add(specs, family.Family, family.IsAttack, ChatVictim);
            }
        }

        return specs;
    }

    private void Add(List<ClientSpec> specs, string family, bool attack, string victim)
    {
        if (Without.Contains(family) || (Only is not null && !Only.Contains(family)) || (BenignOnly && attack))
        {
            return;
        }

        for (var i = 0; i < ClientsPerFamily; i++)
        {
            specs.Add(new ClientSpec(family, attack, victim, StableSeed(Seed, victim, family, i), MaxQueries));
        }
    }

    private static int StableSeed(int seed, string victim, string family, int index)
    {
        var hash = 2166136261u;
        foreach (var c in $"{seed}/{victim}/{family}/{index}")
        {
            hash = unchecked((hash ^ c) * 16777619u);
        }

        return (int)(hash & 0x7FFFFFFF);
    }
}

/// <summary>Runs planned clients against their victims, in parallel, through the gateway's own feature code.</summary>
public static class SimulatedTraffic
{
    private static readonly Lazy<ToyChatVictim> Chat = new(() => new ToyChatVictim());

    /// <summary>Runs every client; <paramref name="progress"/> hears each one that finishes.</summary>
    public static IReadOnlyList<ClientTrace> Run(IReadOnlyList<ClientSpec> clients, Action<ClientSpec>? progress = null)
    {
        var traces = new ClientTrace[clients.Count];
        Parallel.For(0, clients.Count, new ParallelOptions { MaxDegreeOfParallelism = Environment.ProcessorCount }, i =>
        {
            var spec = clients[i];
            traces[i] = spec.IsChat
                ? ClientTrace.Run(spec, ChatClients.Create(spec.Family), Chat.Value)
                : ClientTrace.Run(spec, TensorClients.Create(spec.Family), TensorVictims.Get(spec.Victim));
            progress?.Invoke(spec);
        });
        return traces;
    }

    /// <summary>
    /// Training rows: every request's features from <paramref name="minRequests"/> on, labelled
    /// by the client's kind. Each client weighs in with the square root of its length (a long
    /// client has more chances to be flagged, but does not drown the short ones), and the weights
    /// of each class sum to the same total, so attacks and benign use count alike. An attack's
    /// first requests often look like anyone's (a natural starting input), so its rows weigh in
    /// gradually over its first <see cref="AttackRamp"/> requests: the model is not taught to
    /// suspect what a benign client also sends at first.
    /// </summary>
    public const int AttackRamp = 24;

    public static IReadOnlyList<LabelledRow> Rows(IReadOnlyList<ClientTrace> traces, int minRequests)
    {
        var start = Math.Max(0, minRequests - 1);
        var usable = traces.Where(t => t.Rows.Length > start).ToArray();
        double Total(bool attack) => usable.Where(t => t.Spec.IsAttack == attack).Sum(t => Math.Sqrt(t.Rows.Length - start));
        var totals = new Dictionary<bool, double> { [true] = Math.Max(Total(true), 1e-9), [false] = Math.Max(Total(false), 1e-9) };
        var rows = new List<LabelledRow>();
        foreach (var trace in usable)
        {
            var count = trace.Rows.Length - start;
            // sqrt(count) for the client, shared by its rows; each class sums to 1000.
            var weight = (float)(1000.0 * Math.Sqrt(count) / totals[trace.Spec.IsAttack] / count);
            for (var r = start; r < trace.Rows.Length; r++)
            {
                var ramp = trace.Spec.IsAttack ? Math.Min(1f, (r + 1f) / AttackRamp) : 1f;
                rows.Add(new LabelledRow(trace.Rows[r], trace.Spec.IsAttack, weight * ramp));
            }
        }

        return rows;
    }
}
