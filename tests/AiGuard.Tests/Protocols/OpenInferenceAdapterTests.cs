using AiGuard.Pipeline;
using AiGuard.Protocols;
using AiGuard.Protocols.OpenInference;
using static AiGuard.Tests.Protocols.AdapterHarness;

namespace AiGuard.Tests.Protocols;

public class OpenInferenceAdapterTests
{
    private readonly OpenInferenceAdapter _adapter = new();

    [Theory]
    [InlineData("POST", "/v2/models/clf/infer", "infer", "clf", null)]
    [InlineData("POST", "/v2/models/clf/versions/3/infer", "infer", "clf", "3")]
    [InlineData("GET", "/v2/models/clf", "model.metadata", "clf", null)]
    [InlineData("GET", "/v2/models/clf/ready", "model.ready", "clf", null)]
    [InlineData("GET", "/v2/health/ready", "server.health", null, null)]
    [InlineData("GET", "/v2", "server.metadata", null, null)]
    public void Recognises_operations_and_the_model_in_the_path(string method, string path, string operation, string? model, string? version)
    {
        var match = _adapter.Match(method, path);

        Assert.Equal(operation, match?.Name);
        Assert.Equal(model, match?.ModelFromPath);
        Assert.Equal(version, match?.VersionFromPath);
    }

    [Theory]
    [InlineData("GET", "/v2/models/clf/infer")]
    [InlineData("POST", "/v2/models/clf")]
    [InlineData("POST", "/v2/repository/index")]
    [InlineData("POST", "/v1/models/clf/infer")]
    public void Does_not_recognise_other_operations(string method, string path)
    {
        Assert.Null(_adapter.Match(method, path));
    }

    [Fact]
    public void Infer_request_becomes_tensors_with_shape_and_flat_values()
    {
        var request = Parse(_adapter, "POST", "/v2/models/clf/infer", """
            {"id":"r1","inputs":[
              {"name":"features","shape":[2,3],"datatype":"FP32","data":[[1,2,3],[4,5,6]]},
              {"name":"mask","shape":[3],"datatype":"BOOL","data":[true,false,true]},
              {"name":"text","shape":[1],"datatype":"BYTES","data":["hello"]}]}
            """);

        Assert.Equal("clf", request.Model);
        var tensors = request.Inputs.Cast<TensorInput>().ToArray();
        Assert.Equal([2L, 3L], tensors[0].Shape);
        Assert.Equal([1.0, 2, 3, 4, 5, 6], tensors[0].Values);
        Assert.Equal([1.0, 0, 1], tensors[1].Values);
        Assert.Equal(["hello"], tensors[2].Strings);
    }

    [Fact]
    public void Flat_data_is_accepted_when_it_fills_the_shape()
    {
        var request = Parse(_adapter, "POST", "/v2/models/clf/infer", """{"inputs":[{"name":"x","shape":[2,2],"datatype":"FP32","data":[1,2,3,4]}]}""");

        Assert.Equal(4, ((TensorInput)request.Inputs[0]).ElementCount);
    }

    [Fact]
    public void Data_that_does_not_fill_the_shape_is_a_shape_mismatch()
    {
        var violation = Violation(_adapter, "POST", "/v2/models/clf/infer", """{"inputs":[{"name":"x","shape":[2,4],"datatype":"FP32","data":[1,2,3,4]}]}""");

        Assert.Equal(ProblemCodes.TensorShapeMismatch, violation.Code);
        Assert.Equal("inputs[0].shape", violation.Field);
        Assert.Contains("holds 8 elements", violation.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{}""", "inputs", "is required")]
    [InlineData("""{"inputs":[]}""", "inputs", "at least one")]
    [InlineData("""{"inputs":[{"shape":[1],"datatype":"FP32","data":[1]}]}""", "inputs[0].name", "is required")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"FLOAT","data":[1]}]}""", "inputs[0].datatype", "not an Open Inference Protocol datatype")]
    [InlineData("""{"inputs":[{"name":"x","shape":[-1],"datatype":"FP32","data":[1]}]}""", "inputs[0].shape[0]", "non-negative integer")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"FP32"}]}""", "inputs[0].data", "is required")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":["a"]}]}""", "inputs[0].data[0]", "must be a number")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"INT32","data":[1.5]}]}""", "inputs[0].data[0]", "must be an integer")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"UINT8","data":[-1]}]}""", "inputs[0].data[0]", "must not be negative")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1e300]}]}""", "inputs[0].data[0]", "outside the range of FP32")]
    [InlineData("""{"inputs":[{"name":"x","shape":[2,2],"datatype":"FP32","data":[[1,2],[3]]}]}""", "inputs[0].data[1]", "ragged")]
    [InlineData("""{"inputs":[{"name":"x","shape":[2],"datatype":"FP32","data":[1,[2]]}]}""", "inputs[0].data[1]", "ragged")]
    [InlineData("""{"inputs":[{"name":"x","shape":[1],"datatype":"FP32","data":[1]},{"name":"x","shape":[1],"datatype":"FP32","data":[1]}]}""", "inputs[1].name", "repeats")]
    public void Invalid_infer_requests_name_the_field_and_the_problem(string json, string field, string problem)
    {
        var violation = Violation(_adapter, "POST", "/v2/models/clf/infer", json);

        Assert.Equal(field, violation.Field);
        Assert.Contains(problem, violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Infer_response_yields_one_probability_row_per_instance()
    {
        var response = Response(_adapter, "POST", "/v2/models/clf/infer", """
            {"model_name":"clf","outputs":[{"name":"probabilities","shape":[2,3],"datatype":"FP32","data":[0.1,0.2,0.7,0.5,0.25,0.25]}]}
            """);

        Assert.Equal("clf", response.Model);
        var output = Assert.Single(response.Outputs);
        Assert.Equal("probabilities", output.Name);
        Assert.Equal([2L, 3L], output.Shape);
        Assert.Equal(3, output.RowWidth);
        Assert.True(output.IsFloatingPoint);
        Assert.Equal([0.1, 0.2, 0.7, 0.5, 0.25, 0.25], output.Values);
    }

    [Fact]
    public void Byte_outputs_are_not_numeric_outputs_and_are_left_alone()
    {
        var response = Response(_adapter, "POST", "/v2/models/clf/infer", """
            {"outputs":[{"name":"label","shape":[1],"datatype":"BYTES","data":["cat"]},{"name":"p","shape":[1,2],"datatype":"FP64","data":[[0.25,0.75]]}]}
            """);

        Assert.Equal("p", Assert.Single(response.Outputs).Name);
    }

    [Fact]
    public void Changed_values_are_written_back_in_place_and_every_other_byte_is_kept()
    {
        const string json = """{"model_name":"clf","outputs":[{"name":"p","shape":[2,2],"datatype":"FP32","data":[[0.123456, 0.876544],[1e-3,0.999]],"parameters":{"x":1.5}}]}""";
        var response = Response(_adapter, "POST", "/v2/models/clf/infer", json);
        var values = response.Outputs[0].Values;

        values[0] = 0.12;
        values[1] = 0.88;
        response.Outputs[0].MarkModified();

        Assert.Equal(json.Replace("0.123456, 0.876544", "0.12, 0.88", StringComparison.Ordinal), Rewrite(_adapter, json, response));
    }
}
