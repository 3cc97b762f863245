using AiGuard.Anomaly;
using AiGuard.Tests.Training;
using AiGuard.Training;
using Microsoft.ML.OnnxRuntime;

namespace AiGuard.Tests.Anomaly;

public sealed class AnomalyScorerTests : IDisposable
{
    // Hand-built models (TestModels) have 4 features; the trained one has the gateway's 34.
    private const int Features = 4;
    private const int Width = AnomalyFeatures.Count;
    private readonly ModelFiles _files = new();
    private readonly AnomalyTrainingResult _trained = TrainedModels.Small;

    public void Dispose() => _files.Dispose();

    [Fact]
    public void Scorer_reads_an_MLNET_export_and_its_manifest_and_scores_a_row_as_MLNET_does()
    {
        using var scorer = LoadTrained();
        var row = RandomTables.Uniform(1, Width, seed: 3);

        var score = scorer.Score(row);

        Assert.Equal(_trained.Predict(row)[0], score, 1e-5f);
        Assert.Equal(AnomalyModelMetadata.ProbabilityOutputName, scorer.OutputName);
        Assert.Equal(Width, scorer.FeatureCount);
        Assert.Equal(AnomalyFeatures.Names, scorer.FeatureNames);
        Assert.Equal(AnomalyFeatures.SchemaVersion, scorer.FeatureSchemaVersion);
        Assert.Equal(AnomalyTrainer.AlgorithmName, scorer.Algorithm);
        Assert.Equal(_trained.BenignMedians, scorer.BenignMedians);
        Assert.Equal(_trained.Sha256, scorer.Manifest?.ModelSha256);
    }

    [Fact]
    public void Batch_scores_equal_single_row_scores()
    {
        using var scorer = LoadTrained();
        var rows = RandomTables.Uniform(300, Width, seed: 4);
        var batch = new float[300];

        scorer.Score(rows, batch);

        for (var r = 0; r < 300; r++)
        {
            Assert.Equal(scorer.Score(rows.AsSpan(r * Width, Width)), batch[r]);
        }
    }

    [Theory]
    [InlineData(64, 0.5f, 0.9f, true)]
    [InlineData(32, 0.3f, 0.5f, true)]
    [InlineData(31, 0.5f, 0.9f, false)]
    [InlineData(64, 0.29f, 0.9f, false)]
    [InlineData(64, 0.5f, 0.49f, false)]
    public void Mirrored_pairs_in_a_near_duplicate_cloud_score_one_whatever_the_model_says(int requests, float mirrored, float nearDuplicates, bool floored)
    {
        var row = MedianRow(requests);
        row[AnomalyFeatures.Antithetic] = mirrored;
        row[AnomalyFeatures.NearDuplicate] = nearDuplicates;

        AssertFloor(row, floored, "antithetic=");
    }

    [Theory]
    [InlineData(64, 1f, 1f, true)]
    [InlineData(32, 0.5f, 0.5f, true)]
    [InlineData(31, 1f, 1f, false)]
    [InlineData(64, 0.49f, 1f, false)] // most requests carry no bias
    [InlineData(64, 1f, 0.49f, false)] // an application's fixed bias map
    public void A_logit_bias_sweep_scores_one_whatever_the_model_says(int requests, float biased, float novelty, bool floored)
    {
        var row = MedianRow(requests);
        row[AnomalyFeatures.IsText] = 1;
        row[AnomalyFeatures.LogitBiasShare] = biased;
        row[AnomalyFeatures.BiasNovelty] = novelty;

        AssertFloor(row, floored, "bias");
    }

    [Theory]
    [InlineData(64, 1.3f, 0f, 0f, true)] // uniform random probes of a tabular model
    [InlineData(32, 1f, 0.49f, 0f, true)]
    [InlineData(31, 1.6f, 0f, 0f, false)] // too few requests to judge
    [InlineData(64, 0.99f, 0f, 0f, false)] // a drifting video stream reaches about 0.8
    [InlineData(64, 1.6f, 0.5f, 0f, false)] // one outlier input resent by a monitoring probe
    [InlineData(64, 1.6f, 0f, 1f, false)] // text clients have no tensor reference
    public void New_inputs_far_outside_the_reference_score_one_whatever_the_model_says(int requests, float atypical, float repeated, float isText, bool floored)
    {
        var row = MedianRow(requests);
        row[AnomalyFeatures.Atypical] = atypical;
        row[AnomalyFeatures.ExactRepeat] = repeated;
        row[AnomalyFeatures.IsText] = isText;

        AssertFloor(row, floored, "atypical=");
    }

    /// <summary>
    /// The model alone scores <paramref name="row"/> below 0.99; the scorer gives 1 when a rule
    /// holds (<paramref name="floored"/>) and the model's score otherwise, the same one at a time
    /// and in a batch (here next to a copy of the row), and the explanation names the rule's feature.
    /// </summary>
    private void AssertFloor(float[] row, bool floored, string explained)
    {
        using var scorer = LoadTrained();
        var model = _trained.Predict(row)[0];
        var batch = new float[2];

        var single = scorer.Score(row);
        scorer.Score([.. row, .. row], batch);

        Assert.True(model < 0.99f, $"the model alone scores {model}");
        Assert.Equal(floored ? 1f : model, single, 1e-5f);
        Assert.Equal(single, batch[0]);
        Assert.Equal(single, batch[1]);
        if (floored)
        {
            Assert.Contains(explained, AnomalyEngine.Explain(scorer, row, single), StringComparison.Ordinal);
        }
    }

    /// <summary>A row of the benign medians, from a client that has sent <paramref name="requests"/> requests.</summary>
    private float[] MedianRow(int requests)
    {
        var row = _trained.BenignMedians.ToArray();
        row[AnomalyFeatures.Queries] = (float)Math.Log10(requests);
        return row;
    }

    [Fact]
    public void Batch_writes_one_score_per_row_and_leaves_the_rest_of_the_destination_alone()
    {
        using var scorer = LoadTrained();
        var rows = RandomTables.Uniform(3, Width, seed: 8);
        var scores = new float[5];
        Array.Fill(scores, -1f);

        scorer.Score(rows, scores);

        Assert.All(scores[..3], s => Assert.InRange(s, 0f, 1f));
        Assert.Equal([-1f, -1f], scores[3..]);
    }

    [Fact]
    public void Scorer_accepts_a_foreign_model_that_meets_the_contract()
    {
        using var scorer = AnomalyScorer.Load(ModelFiles.Pinned(_files.Write("m.onnx", TestModels.ScoreLike(Features))));

        // sigmoid(mean(0, 0, 0, 0)) = 0.5
        Assert.Equal(0.5f, scorer.Score(new float[Features]), 1e-6f);
        Assert.Equal(AnomalyModelMetadata.OutputName, scorer.OutputName);
        Assert.Null(scorer.FeatureNames);
        Assert.Null(scorer.Algorithm);
        Assert.Null(scorer.BenignMedians);
        Assert.Null(scorer.Manifest);
    }

    [Fact]
    public void A_model_with_both_accepted_outputs_is_scored_by_its_score_output()
    {
        using var scorer = AnomalyScorer.Load(ModelFiles.Pinned(_files.Write("m.onnx", TestModels.BothOutputs(2))));
        var scores = new float[2];

        scorer.Score([2f, 2f, -2f, -2f], scores);

        // score = sigmoid(mean); Probability.output would be sigmoid(-mean).
        Assert.Equal(AnomalyModelMetadata.OutputName, scorer.OutputName);
        Assert.Equal(Sigmoid(2), scorer.Score([2f, 2f]), 1e-6f);
        Assert.Equal([Sigmoid(2), Sigmoid(-2)], scores, (a, b) => Math.Abs(a - b) < 1e-6f);
    }

    [Fact]
    public void Scorer_reads_a_score_output_of_shape_N_by_1_for_one_row_and_for_a_batch()
    {
        using var scorer = AnomalyScorer.Load(ModelFiles.Pinned(_files.Write("m.onnx", TestModels.ScoreLike(2, scoreColumn: true))));
        var scores = new float[3];

        scorer.Score([0f, 0f, 2f, 2f, -2f, -2f], scores);

        Assert.Equal(Sigmoid(0), scorer.Score([-1f, 1f]), 1e-6f);
        Assert.Equal([Sigmoid(0), Sigmoid(2), Sigmoid(-2)], scores, (a, b) => Math.Abs(a - b) < 1e-6f);
    }

    [Fact]
    public void A_row_with_the_wrong_number_of_features_is_refused_naming_both_counts()
    {
        using var scorer = LoadTrained();

        var error = Assert.Throws<ArgumentException>(() => scorer.Score(new float[Width + 1]));

        Assert.StartsWith($"The model expects {Width} features, got {Width + 1}.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_batch_that_is_not_whole_rows_is_refused_naming_the_feature_count_and_the_values_given()
    {
        using var scorer = AnomalyScorer.Load(ModelFiles.Pinned(_files.Write("m.onnx", TestModels.ScoreLike(3))));

        // 8 values would be two rows of a 4-feature model, but this one has 3 features.
        var error = Assert.Throws<ArgumentException>(() => scorer.Score(new float[8], new float[2]));

        Assert.StartsWith(
            "Expected a non-empty multiple of 3 values (rows of 3 features), got 8.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_destination_with_fewer_scores_than_rows_is_refused_naming_both_sizes()
    {
        using var scorer = LoadTrained();

        var error = Assert.Throws<ArgumentException>(() => scorer.Score(new float[4 * Width], new float[3]));

        Assert.StartsWith("4 rows need 4 scores, but the destination holds 3.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void An_error_inside_ONNX_Runtime_while_scoring_names_the_model_file_and_keeps_ORTs_message()
    {
        var path = _files.Write("fails.onnx", TestModels.FailsUnlessTwoRows(Features));
        using var scorer = AnomalyScorer.Load(ModelFiles.Pinned(path));

        var single = Assert.Throws<AnomalyModelException>(() => scorer.Score(new float[Features]));
        var batch = Assert.Throws<AnomalyModelException>(() => scorer.Score(new float[3 * Features], new float[3]));

        foreach (var error in new[] { single, batch })
        {
            Assert.StartsWith($"Scoring with anomaly model '{path}' failed: ", error.Message, StringComparison.Ordinal);
            Assert.Contains("invalid dimensions for output: score", error.Message, StringComparison.Ordinal);
            Assert.IsType<OnnxRuntimeException>(error.InnerException);
        }

        // The failed calls gave their buffers back: the scorer still scores what the model accepts.
        var scores = new float[2];
        scorer.Score([1f, 1f, 1f, 1f, 2f, 4f, 0f, 2f], scores);
        Assert.Equal([1f, 2f], scores);
    }

    [Fact]
    public void Single_row_scoring_allocates_no_managed_memory()
    {
        using var scorer = LoadTrained();
        var row = RandomTables.Uniform(1, Width, seed: 12);
        for (var i = 0; i < 200; i++)
        {
            scorer.Score(row);
        }

        // Three rounds, the quietest counts: a one-off runtime allocation on this thread (tiering
        // up a method under load) shows in one round at most, a per-call allocation in all three.
        var fewest = long.MaxValue;
        var sum = 0f;
        for (var round = 0; round < 3; round++)
        {
            var before = GC.GetAllocatedBytesForCurrentThread();
            for (var i = 0; i < 2000; i++)
            {
                sum += scorer.Score(row);
            }

            fewest = Math.Min(fewest, GC.GetAllocatedBytesForCurrentThread() - before);
        }

        Assert.Equal(0, fewest);
        Assert.InRange(sum / 6000, 0f, 1f);
    }

    [Fact]
    public void Many_threads_scoring_at_once_get_the_same_scores_as_one_thread()
    {
        // More threads than the pool keeps bindings for, mixing single rows and batches.
        const int Threads = 16, RowsPerThread = 300;
        using var loaded = LoadTrained();
        IAnomalyScorer scorer = loaded;
        var rows = RandomTables.Uniform(Threads * RowsPerThread, Width, seed: 9);
        var expected = new float[Threads * RowsPerThread];
        for (var r = 0; r < expected.Length; r++)
        {
            expected[r] = scorer.Score(rows.AsSpan(r * Width, Width));
        }

        var actual = new float[expected.Length];
        using var start = new Barrier(Threads);
        var threads = Enumerable.Range(0, Threads).Select(t => new Thread(() =>
        {
            start.SignalAndWait();
            for (var r = t * RowsPerThread; r < (t + 1) * RowsPerThread; r += 10)
            {
                if (t % 2 == 0)
                {
                    for (var i = r; i < r + 10; i++)
                    {
                        actual[i] = scorer.Score(rows.AsSpan(i * Width, Width));
                    }
                }
                else
                {
                    scorer.Score(rows.AsSpan(r * Width, 10 * Width), actual.AsSpan(r, 10));
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        Assert.Equal(expected, actual);
    }

    [Fact]
    public void Scorer_used_after_dispose_throws_ObjectDisposedException()
    {
        var scorer = LoadTrained();
        scorer.Dispose();
        scorer.Dispose();

        Assert.Throws<ObjectDisposedException>(() => scorer.Score(new float[Width]));
        Assert.Throws<ObjectDisposedException>(() => scorer.Score(new float[2 * Width], new float[2]));
    }

    [Fact]
    public void Disposing_while_other_threads_score_lets_running_calls_finish_and_refuses_later_ones()
    {
        var scorer = LoadTrained();
        var row = RandomTables.Uniform(1, Width, seed: 13);
        var expected = scorer.Score(row);
        var scored = 0;
        var refused = 0;
        var wrong = 0;
        using var started = new CountdownEvent(4);
        var threads = Enumerable.Range(0, 4).Select(_ => new Thread(() =>
        {
            started.Signal();
            while (true)
            {
                try
                {
                    if (scorer.Score(row) != expected)
                    {
                        Interlocked.Increment(ref wrong);
                    }

                    Interlocked.Increment(ref scored);
                }
                catch (ObjectDisposedException)
                {
                    Interlocked.Increment(ref refused);
                    return;
                }
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        started.Wait();
        SpinWait.SpinUntil(() => Volatile.Read(ref scored) > 1000);

        scorer.Dispose();
        threads.ForEach(t => t.Join());

        Assert.Equal(0, wrong);
        Assert.Equal(4, refused);
    }

    private AnomalyScorer LoadTrained() => AnomalyScorer.Load(ModelFiles.Pinned(_files.WriteModel("m.onnx", _trained)));

    private static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));
}
