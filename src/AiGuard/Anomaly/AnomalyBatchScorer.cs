using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace AiGuard.Anomaly;

/// <summary>
/// Scores clients off the request path, many in one model run. A request whose client is due
/// leaves the client's features here and goes on; a background loop waits a moment for more
/// (<see cref="AnomalyOptions.BatchLinger"/>), then scores everything waiting in batches of up to
/// <see cref="MaxBatch"/> rows and records each client's score, which its next request acts on.
/// </summary>
/// <remarks>
/// Why: one ONNX Runtime call costs about 25-30 µs of CPU inside a busy gateway (its long
/// native path runs cache-cold between network work), against a few µs per row when rows come
/// in a batch; with many clients each due on every request, inline scoring made the model the
/// dearest part of a request. The price is that a score acts one request (or a millisecond)
/// later. A client due again before its last features were scored is scored once, on its latest.
/// </remarks>
internal sealed class AnomalyBatchScorer : IDisposable
{
    public const int MaxBatch = 256;

    /// <summary>How long the loop waits after the first waiting client, so that others join its batch, unless configured.</summary>
    public static readonly TimeSpan DefaultLinger = TimeSpan.FromMilliseconds(10);

    /// <summary>The longest linger the configuration accepts.</summary>
    public static readonly TimeSpan MaxLinger = TimeSpan.FromSeconds(1);

    private readonly AnomalyModelHost _model;
    private readonly AnomalyMetrics _metrics;
    private readonly ILogger _logger;
    private readonly ConcurrentQueue<TrackedClient> _waiting = new();
    private readonly SemaphoreSlim _signal = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;
    private readonly int _confirming;
    private readonly TimeSpan _linger;
    private int _signalled;
    private volatile bool _stopped;
    private long _pending;

    /// <param name="confirming">Scores in a row that confirm a client's score (<see cref="AnomalyOptions.ConfirmingScores"/>).</param>
    /// <param name="linger">How long to wait for more clients after the first (<see cref="AnomalyOptions.BatchLinger"/>; out of range: the default).</param>
    public AnomalyBatchScorer(AnomalyModelHost model, AnomalyMetrics metrics, ILogger logger, int confirming, TimeSpan linger)
    {
        _confirming = confirming;
        _linger = linger >= TimeSpan.Zero && linger <= MaxLinger ? linger : DefaultLinger;
        _model = model;
        _metrics = metrics;
        _logger = logger;
        _loop = Task.Factory.StartNew(LoopAsync, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default).Unwrap();
    }

    /// <summary>Clients waiting for a score.</summary>
    public long Pending => Volatile.Read(ref _pending);

    /// <summary>Leaves the client's latest features to be scored; a client already waiting keeps its place with the newer features.</summary>
    public void Submit(TrackedClient client, ReadOnlySpan<float> features)
    {
        if (_stopped)
        {
            // Shutting down: the client keeps its last score.
            return;
        }

        bool waiting;
        lock (client.Gate)
        {
            var queued = client.QueuedFeatures ??= new float[AnomalyFeatures.Count];
            features[..AnomalyFeatures.Count].CopyTo(queued);
            waiting = client.Queued;
            client.Queued = true;
        }

        if (waiting)
        {
            return;
        }

        Interlocked.Increment(ref _pending);
        _waiting.Enqueue(client);
        if (Interlocked.Exchange(ref _signalled, 1) == 0)
        {
            try
            {
                _signal.Release();
            }
            catch (ObjectDisposedException)
            {
                // Stopped between the check and here.
            }
        }
    }

    /// <summary>Waits until every client submitted so far is scored (for tests and shutdown).</summary>
    public async Task DrainAsync(CancellationToken cancellation = default)
    {
        while (Pending > 0 && !_stopped)
        {
            await Task.Delay(1, cancellation).ConfigureAwait(false);
        }
    }

    public void Dispose()
    {
        _stopped = true;
        _stop.Cancel();
        try
        {
            _loop.Wait(TimeSpan.FromSeconds(5));
        }
        catch (AggregateException)
        {
            // Cancelled while waiting: nothing was lost that a next request would not resubmit.
        }

        _stop.Dispose();
        _signal.Dispose();
    }

    private async Task LoopAsync()
    {
        var count = AnomalyFeatures.Count;
        var rows = new float[MaxBatch * count];
        var scores = new float[MaxBatch];
        var batch = new TrackedClient[MaxBatch];
        var token = _stop.Token;
        while (!token.IsCancellationRequested)
        {
            try
            {
                await _signal.WaitAsync(token).ConfigureAwait(false);
                if (_linger > TimeSpan.Zero)
                {
                    await Task.Delay(_linger, token).ConfigureAwait(false);
                }
            }
            catch (OperationCanceledException)
            {
                return;
            }

            // Anything submitted from here on signals again (a full fence: the queue is read after the reset).
            Interlocked.Exchange(ref _signalled, 0);
            while (!_waiting.IsEmpty)
            {
                var n = 0;
                try
                {
                    while (n < MaxBatch && _waiting.TryDequeue(out var client))
                    {
                        batch[n++] = client;
                        lock (client.Gate)
                        {
                            client.QueuedFeatures.AsSpan(0, count).CopyTo(rows.AsSpan((n - 1) * count, count));
                            client.Queued = false;
                        }
                    }

                    ScoreBatch(batch.AsSpan(0, n), rows.AsSpan(0, n * count), scores);
                }
                catch (Exception e)
                {
                    // The loop must outlive any failure, or every client would stay unscored; these
                    // clients keep their last score and submit again on their next due request.
                    _logger.LogError(e, "Anomaly batch scoring of {Clients} clients failed; the loop goes on", n);
                }
                finally
                {
                    Array.Clear(batch, 0, n);
                    Interlocked.Add(ref _pending, -n);
                }
            }
        }
    }

    private void ScoreBatch(ReadOnlySpan<TrackedClient> clients, ReadOnlySpan<float> rows, Span<float> scores)
    {
        var count = AnomalyFeatures.Count;
        try
        {
            var scorer = _model.Scorer ?? throw new AnomalyModelException("No anomaly model is loaded.");
            scorer.Score(rows, scores);
        }
        catch (Exception e) when (e is AnomalyModelException or ArgumentException or InvalidOperationException)
        {
            // The clients keep their last score; the next due request of each submits again.
            _logger.LogError("Anomaly scoring of {Clients} clients failed: {Reason}", clients.Length, e.Message);
            return;
        }

        for (var i = 0; i < clients.Length; i++)
        {
            var client = clients[i];
            var raw = Math.Clamp(scores[i], 0f, 1f);
            lock (client.Gate)
            {
                client.Score = client.Recent.Add(raw, _confirming);
                var scored = client.ScoredFeatures ??= new float[count];
                rows.Slice(i * count, count).CopyTo(scored);
            }

            _metrics.Scored(raw);
        }
    }
}
