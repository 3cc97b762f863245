using System.Buffers;
using System.Globalization;
using System.Text;
using AiGuard.Configuration;
using AiGuard.Limits;
using AiGuard.Pipeline;
using AiGuard.Protocols;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace AiGuard.Anomaly;

/// <summary>What the engine knew about a client when it acted: audited with the decision.</summary>
/// <param name="Model">The first 12 hex digits of the scoring model's SHA-256.</param>
/// <param name="Reasons">The features that contributed most, as <c>name=value</c> with the score they added.</param>
public sealed record AnomalyEvidence(double Score, string Model, string Reasons);

/// <summary>
/// The anomaly engine: watches every client of the routes that name an anomaly policy, scores its
/// behaviour with the ONNX model after each request, and takes the policy's actions by threshold.
/// </summary>
public sealed class AnomalyEngine : IDisposable
{
    private const int TopReasons = 3;

    private readonly AnomalyModelHost _model;
    private readonly TimeProvider _time;
    private readonly AnomalyMetrics _metrics;
    private readonly int _minRequests;
    private readonly int _scoreEveryRequestUntil;
    private readonly int _scoreEvery;
    private readonly long _minScoreTicks;
    private readonly int _confirming;
    private readonly AnomalyBatchScorer? _batch;
    private string? _modelId;

    /// <remarks>Reads <c>AiGuard:Anomaly</c> at start: the table's size and expiry take a restart to change.</remarks>
    public AnomalyEngine(AnomalyModelHost model, IConfiguration configuration, TimeProvider time, AnomalyMetrics metrics, RedisConnectionHolder redis, ILogger<AnomalyEngine> logger)
    {
        _model = model;
        _time = time;
        _metrics = metrics;
        var options = ReadAtStart(configuration.GetSection($"{AiGuardOptions.SectionName}:Anomaly"));
        _minRequests = Math.Max(1, options.MinRequests);
        _scoreEveryRequestUntil = Math.Max(_minRequests, options.ScoreEveryRequestUntil);
        _scoreEvery = Math.Max(1, options.ScoreEvery);
        _minScoreTicks = (long)(Math.Max(0, options.MinScoreInterval.TotalSeconds) * time.TimestampFrequency);
        _confirming = Math.Clamp(options.ConfirmingScores, 1, RecentScores.MaxConfirming);
        // Out-of-range settings are named by the configuration validator, which runs after the stages are built.
        Clients = new ClientTracker(time, Math.Max(1, options.MaxClients), options.IdleExpiry);
        References = new TensorReferences(LoadReferences(options.References, logger), options.Learning);
        _batch = options.BatchScoring ? new AnomalyBatchScorer(model, metrics, logger, _confirming, options.BatchLinger) : null;
        Quarantine = new QuarantineList(time);
        Replication = redis.Store is { } store ? new QuarantineReplication(Quarantine, store, time, logger) : null;
        metrics.Observe(this);
    }

    public ClientTracker Clients { get; }

    /// <summary>
    /// The engine's own settings, each read alone: a value that does not parse keeps its default
    /// here, and the configuration validator (which runs once the stages exist) names it.
    /// </summary>
    private static AnomalyOptions ReadAtStart(IConfigurationSection section)
    {
        var defaults = new AnomalyOptions();
        T Read<T>(string key, T fallback)
        {
            try
            {
                return section.GetValue(key, fallback)!;
            }
            catch (InvalidOperationException)
            {
                return fallback;
            }
        }

        return new AnomalyOptions
        {
            MaxClients = Read(nameof(AnomalyOptions.MaxClients), defaults.MaxClients),
            IdleExpiry = Read(nameof(AnomalyOptions.IdleExpiry), defaults.IdleExpiry),
            MinRequests = Read(nameof(AnomalyOptions.MinRequests), defaults.MinRequests),
            ScoreEveryRequestUntil = Read(nameof(AnomalyOptions.ScoreEveryRequestUntil), defaults.ScoreEveryRequestUntil),
            ScoreEvery = Read(nameof(AnomalyOptions.ScoreEvery), defaults.ScoreEvery),
            MinScoreInterval = Read(nameof(AnomalyOptions.MinScoreInterval), defaults.MinScoreInterval),
            ConfirmingScores = Read(nameof(AnomalyOptions.ConfirmingScores), defaults.ConfirmingScores),
            BatchScoring = Read(nameof(AnomalyOptions.BatchScoring), defaults.BatchScoring),
            BatchLinger = Read(nameof(AnomalyOptions.BatchLinger), defaults.BatchLinger),
            References = section.GetSection(nameof(AnomalyOptions.References)).GetChildren()
                .Where(c => !string.IsNullOrWhiteSpace(c.Value))
                .ToDictionary(c => c.Key, c => c.Value!, StringComparer.Ordinal),
            Learning = new AnomalyReferenceOptions
            {
                Learn = Read("Learning:Learn", defaults.Learning.Learn),
                RequestsPerClient = Read("Learning:RequestsPerClient", defaults.Learning.RequestsPerClient),
                MinClients = Read("Learning:MinClients", defaults.Learning.MinClients),
                MinRows = Read("Learning:MinRows", defaults.Learning.MinRows),
            },
        };
    }

    /// <summary>
    /// The operator's reference files; one that cannot be read is skipped with an error logged
    /// (the configuration validator refuses it at start and on reload).
    /// </summary>
    private static Dictionary<string, TensorReference> LoadReferences(Dictionary<string, string> files, ILogger logger)
    {
        var loaded = new Dictionary<string, TensorReference>(StringComparer.Ordinal);
        foreach (var (model, path) in files)
        {
            try
            {
                loaded[model] = TensorReference.Load(AnomalyModelOptions.Resolve(path));
            }
            catch (Exception e) when (e is IOException or InvalidDataException or UnauthorizedAccessException)
            {
                logger.LogError("Anomaly reference for model {Model} at {Path} cannot be read: {Reason}", model, path, e.Message);
            }
        }

        return loaded;
    }

    /// <summary>The references of legitimate inputs distances are measured against.</summary>
    public TensorReferences References { get; }

    /// <summary>Waits until every client handed to the batch scorer so far is scored (at once without batch scoring).</summary>
    public Task WhenScoredAsync(CancellationToken cancellation = default) => _batch?.DrainAsync(cancellation) ?? Task.CompletedTask;

    public void Dispose() => _batch?.Dispose();

    public QuarantineList Quarantine { get; }

    /// <summary>How the quarantine list reaches the other replicas; null without Redis.</summary>
    public QuarantineReplication? Replication { get; }

    public DateTimeOffset UtcNow => _time.GetUtcNow();

    /// <summary>The key a client is tracked and quarantined by: its client id, or its address when unauthenticated.</summary>
    public static string ClientKey(GuardContext context) =>
        context.Client?.ClientId ?? "address:" + (context.HttpContext.Connection.RemoteIpAddress?.ToString() ?? "unknown");

    /// <summary>Adds this request to the client's behaviour, scores it and applies the policy's actions.</summary>
    public GuardDecision Assess(GuardContext context, AnomalyPolicy policy)
    {
        var scorer = _model.Scorer ?? throw new InvalidOperationException("No anomaly model is loaded.");
        var request = context.Request!;
        var key = ClientKey(context);
        var client = Clients.Get(key);
        var now = _time.GetTimestamp();
        var seconds = (double)now / _time.TimestampFrequency;
        Span<float> features = stackalloc float[AnomalyFeatures.Count];
        var due = Apply(client, new PendingObservation(request, seconds, null, 0), [], features, now);
        var fresh = false;
        var raw = 0f;
        if (due && _batch is { } batch)
        {
            // Scored off the request path with other clients; the next request acts on it.
            batch.Submit(client, features);
        }
        else if (due)
        {
            // Scored inline, outside any lock: a busy client's concurrent requests never wait on the model.
            raw = Math.Clamp(scorer.Score(features), 0f, 1f);
            fresh = true;
        }

        float score;
        var escalated = -1;
        var throttled = false;
        int held;
        lock (client.Gate)
        {
            if (fresh)
            {
                client.Score = client.Recent.Add(raw, _confirming);
            }

            // A fresh score counts once confirmed; a request that did not score (another
            // request of this client is applying the queue and scores it) is judged on the
            // client's latest confirmed score.
            score = client.Score;

            var level = policy.LevelOf(score);
            if (client.Level >= 0 && now > client.HeldUntil)
            {
                // The hold ran out: the client falls back to what its score says now, quietly.
                client.Level = Math.Min(client.Level, level);
            }

            if (level > client.Level)
            {
                client.Level = level;
                escalated = level;
            }

            if (level >= 0 && level >= client.Level)
            {
                client.HeldUntil = now + (long)(policy.HoldFor.TotalSeconds * _time.TimestampFrequency);
            }

            held = Math.Min(client.Level, policy.Actions.Length - 1);
            for (var i = 0; i <= held; i++)
            {
                if (policy.Actions[i].Action == AnomalyAction.Throttle)
                {
                    throttled |= !TakeToken(client, policy.Actions[i].PerMinute, now);
                }
            }
        }

        if (escalated >= 0 && fresh)
        {
            client.Reasons = Explain(scorer, features, raw);
        }
        else if (escalated >= 0 && _batch is not null)
        {
            // The features the client's latest score came from, as the batch scorer left them.
            var scoredRaw = 0f;
            var known = false;
            lock (client.Gate)
            {
                if (client.ScoredFeatures is { } scored)
                {
                    scored.CopyTo(features);
                    scoredRaw = client.LastScore;
                    known = true;
                }
            }

            if (known)
            {
                client.Reasons = Explain(scorer, features, scoredRaw);
            }
        }

        // Otherwise (inline, an escalation without a fresh score: the hold ran out, then the same
        // score raised the level again) the reasons recorded before stay.

        if (fresh)
        {
            _metrics.Scored(raw);
        }
        if (request.Inputs.Count > 0 && request.Inputs[0] is TensorInput)
        {
            context.AnomalyClient = client;
        }

        if (held < 0)
        {
            return default;
        }

        var reasons = client.Reasons;
        var evidence = new AnomalyEvidence(Math.Round(score, 4), _modelId ??= ModelId(scorer), reasons ?? string.Empty);
        AnomalyPolicy.Step? quarantine = null;
        for (var i = 0; i <= held; i++)
        {
            var step = policy.Actions[i];
            if (step.Action == AnomalyAction.Harden)
            {
                context.Hardening = step.Hardening;
            }
            else if (step.Action == AnomalyAction.Quarantine)
            {
                quarantine = step;
            }
        }

        if (escalated >= 0)
        {
            _metrics.Acted(policy.Actions[escalated].Action);
        }

        if (quarantine is not null)
        {
            var until = _time.GetUtcNow() + quarantine.Duration;
            Quarantine.Add(key, until, reasons ?? string.Empty);
            context.AnomalyEvidence = evidence;
            return GuardDecision.Refuse(
                StatusCodes.Status403Forbidden,
                ProblemCodes.ClientQuarantined,
                $"This client's requests match a model-extraction or adversarial-probing pattern (score {evidence.Score.ToString(CultureInfo.InvariantCulture)}); it is quarantined until {until.UtcDateTime.ToString("u", CultureInfo.InvariantCulture)}.");
        }

        if (throttled)
        {
            context.AnomalyEvidence = evidence;
            context.RetryAfterSeconds = Math.Max(1, 60 / Math.Max(1, LowestThrottle(policy, held)));
            return GuardDecision.Refuse(
                StatusCodes.Status429TooManyRequests,
                ProblemCodes.AnomalyThrottled,
                $"This client's request rate is reduced while its requests match an extraction or probing pattern; retry after {context.RetryAfterSeconds} s.");
        }

        if (escalated < 0)
        {
            return default;
        }

        context.AnomalyEvidence = evidence;
        var action = policy.Actions[escalated].Action;
        return GuardDecision.Flag(
            action switch
            {
                AnomalyAction.Observe => ProblemCodes.AnomalyObserved,
                AnomalyAction.Harden => ProblemCodes.AnomalyHardened,
                AnomalyAction.Throttle => ProblemCodes.AnomalyThrottled,
                _ => ProblemCodes.AnomalyFlagged,
            },
            $"Anomaly score {evidence.Score.ToString(CultureInfo.InvariantCulture)} reached the '{action.ToString().ToLowerInvariant()}' threshold {policy.Actions[escalated].Threshold.ToString(CultureInfo.InvariantCulture)} of policy '{policy.Name}'.");
    }

    /// <summary>Adds the answer of a tensor request (its first floating-point output) to the client's behaviour.</summary>
    public void ObserveAnswer(GuardContext context, InferenceResponse response)
    {
        if (context.AnomalyClient is not { } client)
        {
            return;
        }

        foreach (var output in response.Outputs)
        {
            if (output.IsFloatingPoint && output.RowWidth >= 2)
            {
                var width = output.RowWidth;
                var rows = Math.Min(output.Values.Length / width, ClientBehaviour.MaxRowsPerRequest);
                Apply(client, new PendingObservation(null, 0, null, width), output.Values.AsSpan(0, rows * width), [], 0);
                return;
            }
        }
    }

    /// <summary>
    /// Applies <paramref name="item"/> to the client's behaviour, after anything other requests
    /// queued, unless another request of the client holds it: then queues the item for that one
    /// (or the next) to apply. An answer's rows come as <paramref name="answer"/> and are copied
    /// only when queued (later stages may harden the answer in place). Then writes the features when <paramref name="features"/> has room,
    /// the client has sent <c>MinRequests</c>, and the client is due: after every request up to
    /// <c>ScoreEveryRequestUntil</c>, after every <c>ScoreEvery</c>-th beyond, and at most once
    /// per <c>MinScoreInterval</c> (a model run is the dearest part of the engine in a busy
    /// process). True when it wrote fresh features.
    /// </summary>
    private bool Apply(TrackedClient client, PendingObservation item, ReadOnlySpan<double> answer, Span<float> features, long now)
    {
        var wrote = false;
        var mine = true;
        if (!client.Drain.TryEnter())
        {
            client.PendingQueue().Enqueue(item.Request is null ? item with { Answer = answer.ToArray() } : item);
            mine = false;
        }
        else
        {
            try
            {
                ApplyQueued(client, References);
                ApplyOne(client.Behaviour, item, answer, References);
                wrote = WriteIfDue(client, features, now);
            }
            finally
            {
                client.Drain.Exit();
            }
        }

        // Whatever was queued meanwhile is applied by whoever gets the behaviour next.
        while (client.Pending is { IsEmpty: false } && client.Drain.TryEnter())
        {
            try
            {
                ApplyQueued(client, References);
                wrote |= !mine && WriteIfDue(client, features, now);
            }
            finally
            {
                client.Drain.Exit();
            }
        }

        return wrote;
    }

    private static void ApplyQueued(TrackedClient client, TensorReferences references)
    {
        if (client.Pending is { } queue)
        {
            while (queue.TryDequeue(out var queued))
            {
                ApplyOne(client.Behaviour, queued, queued.Answer, references);
            }
        }
    }

    private static void ApplyOne(ClientBehaviour behaviour, in PendingObservation item, ReadOnlySpan<double> answer, TensorReferences references)
    {
        if (item.Request is { } request)
        {
            Observe(behaviour, request, item.Seconds, references);
        }
        else
        {
            behaviour.ObserveAnswer(answer, item.Classes);
        }
    }

    private bool WriteIfDue(TrackedClient client, Span<float> features, long now)
    {
        var requests = client.Behaviour.Requests;
        if (features.Length < AnomalyFeatures.Count || requests < _minRequests
            || (requests > _scoreEveryRequestUntil && requests - client.ScoredAt < _scoreEvery)
            || (client.ScoredAt != 0 && now - client.ScoredTime < _minScoreTicks))
        {
            return false;
        }

        client.Behaviour.WriteFeatures(features);
        client.ScoredAt = requests;
        client.ScoredTime = now;
        return true;
    }

    /// <summary>
    /// Feeds one parsed request to a client's behaviour: its first numeric tensor (rows along the
    /// first dimension, each row everything else: a [2, 3, 224, 224] tensor is 2 rows of 150,528
    /// values), or its text. A client's first rows also teach the model's reference.
    /// </summary>
    public static void Observe(ClientBehaviour behaviour, InferenceRequest request, double seconds, TensorReferences references)
    {
        foreach (var input in request.Inputs)
        {
            if (input is TensorInput { Values.Length: > 0 } tensor)
            {
                var width = RowWidth(tensor);
                references.Learn(request.Model, width, tensor.Values.AsSpan(0, width), behaviour.Requests);
                behaviour.ObserveTensor(seconds, tensor.Values, width, references.For(request.Model, width));
                return;
            }
        }

        behaviour.ObserveText(seconds, request.Inputs, request.Generation);
    }

    /// <summary>Values per row: the product of every dimension after the first (the batch), or all of them for a vector.</summary>
    public static int RowWidth(TensorInput tensor)
    {
        var total = tensor.Values.Length;
        if (tensor.Shape.Count < 2 || tensor.Shape[0] <= 0 || total % tensor.Shape[0] != 0)
        {
            return total;
        }

        return (int)(total / tensor.Shape[0]);
    }

    /// <summary>
    /// The features that raised the score most: each is set back to the benign reference value the
    /// model ships with (0 without one) and the model rescored; the biggest drops are the reasons.
    /// </summary>
    public static string Explain(IAnomalyScorer scorer, ReadOnlySpan<float> features, float score)
    {
        var count = AnomalyFeatures.Count;
        var reference = scorer.BenignMedians;
        var rows = ArrayPool<float>.Shared.Rent(count * count);
        var scores = ArrayPool<float>.Shared.Rent(count);
        try
        {
            for (var i = 0; i < count; i++)
            {
                var row = rows.AsSpan(i * count, count);
                features[..count].CopyTo(row);
                row[i] = reference is { Count: > 0 } ? reference[i] : 0f;
            }

            scorer.Score(rows.AsSpan(0, count * count), scores.AsSpan(0, count));
            var order = Enumerable.Range(0, count)
                .Where(i => score - scores[i] > 0.01f)
                .OrderByDescending(i => score - scores[i])
                .Take(TopReasons);
            var text = new StringBuilder();
            foreach (var i in order)
            {
                if (text.Length > 0)
                {
                    text.Append(", ");
                }

                text.Append(CultureInfo.InvariantCulture, $"{AnomalyFeatures.Names[i]}={features[i]:0.###} (+{score - scores[i]:0.00})");
            }

            return text.Length > 0 ? text.ToString() : "no single feature stands out";
        }
        finally
        {
            ArrayPool<float>.Shared.Return(rows);
            ArrayPool<float>.Shared.Return(scores);
        }
    }

    private static string ModelId(IAnomalyScorer scorer) => scorer.Sha256.Length >= 12 ? scorer.Sha256[..12] : scorer.Sha256;

    private static int LowestThrottle(AnomalyPolicy policy, int held)
    {
        var perMinute = int.MaxValue;
        for (var i = 0; i <= held; i++)
        {
            if (policy.Actions[i].Action == AnomalyAction.Throttle)
            {
                perMinute = Math.Min(perMinute, policy.Actions[i].PerMinute);
            }
        }

        return perMinute;
    }

    /// <summary>A token bucket of <paramref name="perMinute"/> tokens refilled evenly over a minute.</summary>
    private bool TakeToken(TrackedClient client, int perMinute, long now)
    {
        if (double.IsNaN(client.ThrottleTokens))
        {
            client.ThrottleTokens = perMinute;
            client.ThrottleRefilled = now;
        }

        var elapsed = _time.GetElapsedTime(client.ThrottleRefilled, now).TotalMinutes;
        client.ThrottleTokens = Math.Min(perMinute, client.ThrottleTokens + (elapsed * perMinute));
        client.ThrottleRefilled = now;
        if (client.ThrottleTokens < 1)
        {
            return false;
        }

        client.ThrottleTokens -= 1;
        return true;
    }
}
