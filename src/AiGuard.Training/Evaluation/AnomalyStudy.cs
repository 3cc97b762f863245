using AiGuard.Anomaly;

namespace AiGuard.Training.Evaluation;

/// <summary>The settings of one training-and-evaluation study on simulated traffic.</summary>
public sealed record StudyOptions
{
    public int Seed { get; init; } = 1;

    public int ClientsPerFamily { get; init; } = 24;

    /// <summary>
    /// Benign clients per family and victim the threshold is tuned on; default four times
    /// <see cref="ClientsPerFamily"/>. A threshold just above the highest of n benign clients'
    /// scores is exceeded by a fresh benign client with a chance of about 1/(n + 1): with as many
    /// tuning clients as test clients that is about one false positive per test set, whatever
    /// the model. Four times as many brings it to about a quarter of one.
    /// </summary>
    public int? TuningClientsPerFamily { get; init; }

    /// <summary>The tuning clients per family in effect.</summary>
    public int TuningClients => TuningClientsPerFamily ?? (4 * ClientsPerFamily);

    public int MaxQueries { get; init; } = 600;

    /// <summary>Requests before a client is scored, as the gateway's <c>MinRequests</c>.</summary>
    public int MinRequests { get; init; } = 8;

    /// <summary>
    /// Share of benign tuning clients the threshold may flag. Default 0: the threshold lies just
    /// above every tuning benign client's highest score. With none of n clients flagged, the
    /// rate on fresh clients is below 3/n with 95% confidence (the rule of three: 0.20% and 0.39%
    /// for the shipped model's 1,536 tensor and 768 LLM tuning clients), which is what the 0.5%
    /// target asks; a rate measured
    /// as "at most 1 of a few hundred" moves by more than the target on fresh clients.
    /// </summary>
    public double FalsePositiveRate { get; init; }

    public AnomalyTreeSettings Trees { get; init; } = new();
}

/// <summary>A trained model with the threshold tuned for it on separate clients.</summary>
public sealed class TunedModel : IDisposable
{
    private readonly string _directory;

    internal TunedModel(AnomalyTrainingResult result, string directory, AnomalyScorer scorer, double tensorThreshold, double textThreshold, float[] benignMaxScores)
    {
        Result = result;
        _directory = directory;
        Scorer = scorer;
        TensorThreshold = tensorThreshold;
        TextThreshold = textThreshold;
        BenignMaxScores = benignMaxScores;
    }

    public AnomalyTrainingResult Result { get; }

    /// <summary>The exported model, loaded by the gateway's own scorer (ONNX Runtime).</summary>
    public AnomalyScorer Scorer { get; }

    /// <summary>The threshold for clients of tensor routes, tuned on the benign tensor clients alone.</summary>
    public double TensorThreshold { get; }

    /// <summary>The threshold for clients of LLM routes, tuned on the benign LLM clients alone.</summary>
    /// <remarks>
    /// The two kinds of client share no content feature and their benign scores spread
    /// differently; one threshold for both is set by whichever kind's benign tail is higher and
    /// costs the other kind's detection for nothing. A route is one kind or the other, and its
    /// anomaly policy carries its own thresholds.
    /// </remarks>
    public double TextThreshold { get; }

    /// <summary>The threshold that applies to a client of this kind.</summary>
    public double ThresholdFor(ClientSpec client) => ThresholdFor(client, TensorThreshold, TextThreshold);

    /// <summary>The threshold of the two that applies to a client of this kind.</summary>
    public static double ThresholdFor(ClientSpec client, double tensorThreshold, double textThreshold) =>
        client.IsChat ? textThreshold : tensorThreshold;

    /// <summary>The highest score of each benign tuning client.</summary>
    public float[] BenignMaxScores { get; }

    public void Dispose()
    {
        Scorer.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}

/// <summary>Train on one set of simulated clients, tune the threshold on a second, report on a third.</summary>
public static class AnomalyStudy
{
    /// <summary>The benign clients a threshold is tuned on: <see cref="StudyOptions.TuningClients"/> per benign family of <paramref name="plan"/>.</summary>
    public static TrafficPlan TuningPlan(TrafficPlan plan, StudyOptions options) =>
        plan with { Seed = options.Seed + 1, ClientsPerFamily = options.TuningClients, BenignOnly = true };

    /// <summary>Trains on <paramref name="training"/>, then picks for each kind of client (tensor, LLM) the threshold that flags at most the target share of that kind's benign clients of <paramref name="tuning"/>.</summary>
    public static TunedModel TrainAndTune(IReadOnlyList<ClientTrace> training, IReadOnlyList<ClientTrace> tuning, StudyOptions options)
    {
        var rows = SimulatedTraffic.Rows(training, options.MinRequests);
        var result = AnomalyTrainer.Train(rows, options.Seed, options.Trees);
        var directory = Directory.CreateTempSubdirectory("aiguard-study-").FullName;
        var path = Path.Combine(directory, "anomaly.onnx");
        result.WriteFiles(path);
        var scorer = AnomalyScorer.Load(new AnomalyModelOptions { Path = path, Sha256 = result.Sha256 });
        var benign = tuning.Where(t => !t.Spec.IsAttack).ToArray();
        var (max, _) = DetectionReport.Score(scorer, benign, threshold: 2, options.MinRequests);
        double Tuned(bool text) => DetectionReport.ThresholdFor(
            [.. max.Where((_, i) => benign[i].Spec.IsChat == text)], options.FalsePositiveRate);
        return new TunedModel(result, directory, scorer, Tuned(text: false), Tuned(text: true), max);
    }

    /// <summary>Scores <paramref name="testing"/> with a tuned model and summarizes it per family.</summary>
    public static IReadOnlyList<FamilyResult> Test(TunedModel model, IReadOnlyList<ClientTrace> testing, StudyOptions options)
    {
        var (_, first) = DetectionReport.Score(model.Scorer, testing, model.ThresholdFor, options.MinRequests);
        return DetectionReport.Summarize(testing, first);
    }
}
