using AiGuard.Onnx;
using AiGuard.Onnx.Native;

namespace AiGuard.Tests.Onnx;

public class OnnxSessionTests
{
    [Fact]
    public void Session_reports_names_element_types_and_shapes_with_symbolic_dims_as_minus_one()
    {
        using var session = OnnxSession.Create(TestModels.Affine());

        var input = Assert.Single(session.Inputs);
        var output = Assert.Single(session.Outputs);
        Assert.Equal("x", input.Name);
        Assert.True(input.IsTensor);
        Assert.Equal(TensorElementType.Float, input.ElementType);
        Assert.Equal([-1L, 3L], input.Shape);
        Assert.Equal("y", output.Name);
        Assert.Equal(TensorElementType.Float, output.ElementType);
        Assert.Equal([-1L, 3L], output.Shape);
    }

    [Fact]
    public void The_loaded_runtime_is_ONNX_Runtime_1_30_0()
    {
        using var session = OnnxSession.Create(TestModels.Affine());

        Assert.Equal("1.30.0", OnnxSession.RuntimeVersion);
        Assert.True(File.Exists(OnnxSession.LoadedLibraryPath));
    }

    [Fact]
    public void Session_reads_producer_name_and_custom_metadata()
    {
        using var session = OnnxSession.Create(TestModels.Affine([new("owner", "security"), new("purpose", "tests")]));

        Assert.Equal("aiguard-tests", session.Metadata.ProducerName);
        Assert.Equal(2, session.Metadata.Custom.Count);
        Assert.Equal("security", session.Metadata.Custom["owner"]);
        Assert.Equal("tests", session.Metadata.Custom["purpose"]);
    }

    [Fact]
    public void Session_without_metadata_has_an_empty_custom_map()
    {
        using var session = OnnxSession.Create(TestModels.Affine());

        Assert.Empty(session.Metadata.Custom);
    }

    [Fact]
    public void Run_computes_the_graph_over_caller_memory_and_copies_outputs_out()
    {
        using var session = OnnxSession.Create(TestModels.Affine());
        float[] x = [1, 2, 3, -1, 0, 0.5f];

        var y = Assert.Single(session.Run([new FloatTensorInput("x", x, [2, 3])]));

        Assert.Equal("y", y.Name);
        Assert.Equal([2L, 3L], y.Shape);
        Assert.Equal([3f, 5f, 7f, -1f, 1f, 2f], y.Data);
        Assert.Equal([1f, 2f, 3f, -1f, 0f, 0.5f], x);
    }

    [Fact]
    public void Span_run_writes_into_the_destination_and_returns_the_element_count()
    {
        using var session = OnnxSession.Create(TestModels.Affine());
        Span<float> destination = stackalloc float[4];

        var written = session.Run("x", [0f, 1f, 2f], [1, 3], "y", destination);

        Assert.Equal(3, written);
        Assert.Equal([1f, 3f, 5f], destination[..3].ToArray());
    }

    [Fact]
    public void Span_run_refuses_a_destination_that_is_too_small()
    {
        using var session = OnnxSession.Create(TestModels.Affine());

        var error = Assert.Throws<ArgumentException>(() => session.Run("x", [0f, 1f, 2f], [1, 3], "y", new float[2]));

        Assert.Contains("3 elements", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Corrupt_model_bytes_raise_OnnxRuntimeException_with_ORTs_code_and_message()
    {
        var corrupt = TestModels.Affine()[..40];
        corrupt[5] ^= 0xFF;

        var error = Assert.Throws<OnnxRuntimeException>(() => OnnxSession.Create(corrupt));

        Assert.Equal(OrtErrorCodes.InvalidProtobuf, error.ErrorCode);
        Assert.Contains("INVALID_PROTOBUF", error.Message, StringComparison.Ordinal);
        Assert.Contains("protobuf", error.Message, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void Wrong_input_shape_surfaces_ORTs_error_as_OnnxRuntimeException()
    {
        using var session = OnnxSession.Create(TestModels.Affine());

        var error = Assert.Throws<OnnxRuntimeException>(() => session.Run([new FloatTensorInput("x", new float[8], [2, 4])]));

        Assert.Equal(OrtErrorCodes.InvalidArgument, error.ErrorCode);
        Assert.Contains("x", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_input_name_is_refused_naming_the_known_inputs()
    {
        using var session = OnnxSession.Create(TestModels.Affine());

        var error = Assert.Throws<ArgumentException>(() => session.Run([new FloatTensorInput("features", new float[3], [1, 3])]));

        Assert.Contains("'features'", error.Message, StringComparison.Ordinal);
        Assert.Contains("Its inputs are: x", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Unknown_output_name_is_refused_naming_the_known_outputs()
    {
        using var session = OnnxSession.Create(TestModels.Affine());

        var error = Assert.Throws<ArgumentException>(() => session.Run([new FloatTensorInput("x", new float[3], [1, 3])], ["score"]));

        Assert.Contains("Its outputs are: y", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Data_that_does_not_fill_the_shape_is_refused_before_ORT_sees_it()
    {
        using var session = OnnxSession.Create(TestModels.Affine());

        var error = Assert.Throws<ArgumentException>(() => session.Run([new FloatTensorInput("x", new float[5], [2, 3])]));

        Assert.Contains("5 values", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Reading_a_non_float_output_is_a_clear_error()
    {
        using var session = OnnxSession.Create(TestModels.ScoreLike(3, outputType: TensorElementType.Int64));

        var error = Assert.Throws<OnnxRuntimeException>(() => session.Run([new FloatTensorInput("features", new float[3], [1, 3])]));

        Assert.Contains("Int64", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Run_after_dispose_throws_ObjectDisposedException_and_double_dispose_is_safe()
    {
        var session = OnnxSession.Create(TestModels.Affine());
        session.Dispose();
        session.Dispose();

        Assert.Throws<ObjectDisposedException>(() => session.Run([new FloatTensorInput("x", new float[3], [1, 3])]));
        Assert.Throws<ObjectDisposedException>(() => session.Run("x", new float[3], [1, 3], "y", new float[3]));
    }

    [Fact]
    public void Intra_op_threads_below_one_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => OnnxSession.Create(TestModels.Affine(), new OnnxSessionOptions { IntraOpThreads = 0 }));
    }

    [Fact]
    public void Concurrent_runs_on_one_session_give_the_same_results_as_sequential_runs()
    {
        using var session = OnnxSession.Create(TestModels.Affine());
        const int Calls = 400;
        var random = new Random(5);
        var inputs = Enumerable.Range(0, Calls)
            .Select(_ => Enumerable.Range(0, 3 * (1 + random.Next(16))).Select(_ => (float)random.NextDouble()).ToArray())
            .ToArray();
        var sequential = inputs.Select(x => session.Run([new FloatTensorInput("x", x, [x.Length / 3, 3])])[0].Data).ToArray();

        var concurrent = new float[Calls][];
        var threads = Enumerable.Range(0, 8).Select(t => new Thread(() =>
        {
            for (var i = t; i < Calls; i += 8)
            {
                concurrent[i] = i % 2 == 0
                    ? session.Run([new FloatTensorInput("x", inputs[i], [inputs[i].Length / 3, 3])])[0].Data
                    : SpanRun(session, inputs[i]);
            }
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());

        for (var i = 0; i < Calls; i++)
        {
            Assert.Equal(sequential[i], concurrent[i]);
        }
    }

    private static float[] SpanRun(OnnxSession session, float[] x)
    {
        var y = new float[x.Length];
        session.Run("x", x, [x.Length / 3, 3], "y", y);
        return y;
    }
}
