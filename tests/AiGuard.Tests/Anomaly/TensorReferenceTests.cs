using AiGuard.Anomaly;

namespace AiGuard.Tests.Anomaly;

public sealed class TensorReferenceTests
{
    private static List<double[]> Sample(int width, int rows, int seed, double scale = 1)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, rows).Select(_ => Enumerable.Range(0, width).Select(i => scale * (i + random.NextDouble())).ToArray())];
    }

    [Fact]
    public void The_typical_distance_is_that_between_two_unrelated_sample_inputs()
    {
        var sample = Sample(64, 2000, 1);
        var reference = TensorReference.Build(64, sample)!;
        var random = new Random(2);
        double total = 0;
        const int Pairs = 2000;
        for (var n = 0; n < Pairs; n++)
        {
            var a = sample[random.Next(sample.Count)];
            var b = sample[random.Next(sample.Count)];
            total += Math.Sqrt(a.Zip(b, (x, y) => (x - y) * (x - y)).Sum());
        }

        // Uniform noise of variance 1/12 per value: sqrt(2 * 64 / 12) = 3.27.
        Assert.Equal(Math.Sqrt(2 * 64 / 12.0), reference.Typical, 1);
        Assert.Equal(total / Pairs, reference.Typical, 0.35);
        Assert.Equal(2000, reference.Rows);
    }

    [Fact]
    public void A_saved_reference_loads_back_the_same()
    {
        var reference = TensorReference.Build(300, Sample(300, 50, 3, scale: 255))!;
        using var stream = new MemoryStream();
        reference.Save(stream);
        stream.Position = 0;
        var loaded = TensorReference.Load(stream);
        Assert.Equal(reference.Width, loaded.Width);
        Assert.Equal(reference.Rows, loaded.Rows);
        Assert.Equal(reference.Typical, loaded.Typical, 6);
        Assert.Equal(reference.Mean, loaded.Mean);
        Assert.Equal(reference.Scale, loaded.Scale);
    }

    [Theory]
    [InlineData("")]
    [InlineData("not json")]
    [InlineData("[1,2,3]")]
    [InlineData("{\"format\":2,\"width\":2}")]
    [InlineData("{\"format\":1,\"width\":2,\"rows\":5,\"featureSchema\":\"3\",\"indices\":[0,1],\"mean\":[1],\"spread\":[1,1],\"typical\":1}")]
    [InlineData("{\"format\":1,\"width\":2,\"rows\":5,\"featureSchema\":\"3\",\"indices\":[0,1],\"mean\":[1,1],\"spread\":[0,1],\"typical\":1}")]
    [InlineData("{\"format\":1,\"width\":2,\"rows\":5,\"featureSchema\":\"3\",\"indices\":[1,0],\"mean\":[1,1],\"spread\":[1,1],\"typical\":1}")]
    [InlineData("{\"format\":1,\"width\":2,\"rows\":5,\"featureSchema\":\"3\",\"indices\":[0,1],\"mean\":[1,1],\"spread\":[1,1],\"typical\":-1}")]
    [InlineData("{\"format\":1,\"width\":0,\"rows\":5,\"featureSchema\":\"3\",\"indices\":[],\"mean\":[],\"spread\":[],\"typical\":1}")]
    public void A_file_that_is_not_a_reference_is_a_clear_error(string text)
    {
        using var stream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text));
        Assert.Throws<InvalidDataException>(() => TensorReference.Load(stream));
    }

    [Fact]
    public void Inputs_that_never_vary_give_no_reference()
    {
        Assert.Null(TensorReference.Build(3, [[1, 2, 3], [1, 2, 3], [1, 2, 3]]));
        Assert.Null(TensorReference.Build(3, [[1, 2, 3]]));
    }

    [Fact]
    public void A_learnt_reference_is_used_only_after_enough_clients_and_rows()
    {
        var references = new TensorReferences(new Dictionary<string, TensorReference>(), new AnomalyReferenceOptions { MinClients = 3, MinRows = 10, RequestsPerClient = 4 });
        var rows = Sample(8, 100, 4);
        var next = 0;

        // One client sending forever contributes its first 4 rows only.
        for (var request = 0; request < 50; request++)
        {
            references.Learn("m", 8, rows[next++ % rows.Count], request);
        }

        Assert.Null(references.For("m", 8));
        Assert.Equal(4, references.Learnt.Single().Rows);

        for (var client = 0; client < 2; client++)
        {
            for (var request = 0; request < 4; request++)
            {
                references.Learn("m", 8, rows[next++ % rows.Count], request);
            }
        }

        var learnt = references.For("m", 8);
        Assert.NotNull(learnt);
        Assert.Equal(12, learnt.Rows);
        Assert.Null(references.For("m", 9));
        Assert.Null(references.For("other", 8));
    }

    [Fact]
    public void An_operators_reference_wins_and_is_not_learnt_over()
    {
        var configured = TensorReference.Build(8, Sample(8, 100, 5))!;
        var references = new TensorReferences(new Dictionary<string, TensorReference> { ["m"] = configured }, new AnomalyReferenceOptions { MinClients = 1, MinRows = 2 });
        foreach (var row in Sample(8, 20, 6, scale: 1000))
        {
            references.Learn("m", 8, row, 0);
        }

        Assert.Same(configured, references.For("m", 8));
        Assert.Empty(references.Learnt);
    }

    [Fact]
    public void A_flood_of_model_names_cannot_grow_the_learners_without_bound()
    {
        var references = new TensorReferences(new Dictionary<string, TensorReference>(), new AnomalyReferenceOptions());
        var row = new double[4];
        for (var i = 0; i < 10_000; i++)
        {
            references.Learn("model-" + i, 4, row, 0);
        }

        Assert.Equal(TensorReferences.MaxLearners, references.Learnt.Count());
    }

    [Fact]
    public void A_flood_of_made_up_shapes_churns_among_itself_and_never_displaces_a_model_in_use()
    {
        var references = new TensorReferences(new Dictionary<string, TensorReference>(), new AnomalyReferenceOptions { MinClients = 8, MinRows = 64 });
        var random = new Random(11);
        foreach (var (client, rowIndex) in Enumerable.Range(0, 3).SelectMany(c => Enumerable.Range(0, 8).Select(r => (c, r))))
        {
            // A real model still learning: three clients so far, not ready.
            references.Learn("iris", 4, [random.NextDouble(), random.NextDouble(), random.NextDouble(), random.NextDouble()], rowIndex);
        }

        var row = new double[4];
        for (var i = 0; i < 10_000; i++)
        {
            references.Learn("made-up-" + i, 4, row, 0);
        }

        Assert.Equal(TensorReferences.MaxLearners, references.Learnt.Count());
        Assert.Contains(references.Learnt, l => l.Model == "iris" && l.Rows == 24);
        Assert.Contains(references.Learnt, l => l.Model == "made-up-9999");
    }

    [Fact]
    public void One_absurd_row_does_not_poison_a_learnt_reference()
    {
        var learner = new ReferenceLearner(4, minClients: 1, minRows: 2);
        learner.CountClient();
        learner.Add([1e100, 1, 1, 1]);
        learner.Add([float.MaxValue, 1, 1, 1]);
        foreach (var row in Sample(4, 200, 7))
        {
            learner.Add(row);
        }

        learner.Add([1e9, 1e9, 1e9, 1e9]);
        // The absurd rows and the far outlier after the reference settled were not learnt from.
        Assert.Equal(200, learner.Rows);
        var reference = learner.Snapshot()!;
        Assert.All(reference.Mean, m => Assert.True(float.IsFinite(m)));
        Assert.InRange(reference.Typical, 0.5, 1.0);
    }
}
