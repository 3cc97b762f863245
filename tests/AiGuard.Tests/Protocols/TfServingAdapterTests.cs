using AiGuard.Protocols;
using AiGuard.Protocols.TfServing;
using static AiGuard.Tests.Protocols.AdapterHarness;

namespace AiGuard.Tests.Protocols;

public class TfServingAdapterTests
{
    private readonly TfServingAdapter _adapter = new();

    [Theory]
    [InlineData("POST", "/v1/models/clf:predict", "predict", "clf", null)]
    [InlineData("POST", "/v1/models/clf/versions/2:predict", "predict", "clf", "2")]
    [InlineData("POST", "/v1/models/clf/labels/stable:predict", "predict", "clf", "stable")]
    [InlineData("GET", "/v1/models/clf", "model.status", "clf", null)]
    [InlineData("GET", "/v1/models/clf/versions/2/metadata", "model.metadata", "clf", "2")]
    public void Recognises_operations_and_the_model_in_the_path(string method, string path, string operation, string? model, string? version)
    {
        var match = _adapter.Match(method, path);

        Assert.Equal(operation, match?.Name);
        Assert.Equal(model, match?.ModelFromPath);
        Assert.Equal(version, match?.VersionFromPath);
    }

    [Theory]
    [InlineData("POST", "/v1/models/clf:classify")]
    [InlineData("GET", "/v1/models/clf:predict")]
    [InlineData("POST", "/v1/models/:predict")]
    [InlineData("POST", "/v1/models/clf/extra/path:predict")]
    public void Does_not_recognise_other_operations(string method, string path)
    {
        Assert.Null(_adapter.Match(method, path));
    }

    [Fact]
    public void Row_format_instances_become_one_tensor_of_shape_rows_by_features()
    {
        var request = Parse(_adapter, "POST", "/v1/models/clf:predict", """{"instances":[[1,2,3,4],[5,6,7,8]]}""");

        var tensor = Assert.IsType<TensorInput>(Assert.Single(request.Inputs));
        Assert.Equal("clf", request.Model);
        Assert.Equal([2L, 4L], tensor.Shape);
        Assert.Equal(8, tensor.Values.Length);
    }

    [Fact]
    public void Named_instances_become_one_tensor_per_name()
    {
        var request = Parse(_adapter, "POST", "/v1/models/clf:predict", """{"instances":[{"a":[1,2],"b":"x"},{"a":[3,4],"b":"y"}]}""");

        var tensors = request.Inputs.Cast<TensorInput>().ToDictionary(t => t.Name);
        Assert.Equal([2L, 2L], tensors["a"].Shape);
        Assert.Equal(["x", "y"], tensors["b"].Strings);
    }

    [Fact]
    public void Columnar_inputs_and_b64_values_are_read()
    {
        var request = Parse(_adapter, "POST", "/v1/models/clf:predict", """{"inputs":{"image":[{"b64":"aGVsbG8="}],"x":[[1.5]]}}""");

        var tensors = request.Inputs.Cast<TensorInput>().ToDictionary(t => t.Name);
        Assert.Equal("BYTES", tensors["image"].DataType);
        Assert.Equal(["aGVsbG8="], tensors["image"].Strings);
        Assert.Equal([1.5], tensors["x"].Values);
    }

    [Theory]
    [InlineData("""{}""", "instances", "Exactly one of")]
    [InlineData("""{"instances":[[1]],"inputs":[[1]]}""", "inputs", "Exactly one of")]
    [InlineData("""{"instances":[]}""", "instances", "non-empty array")]
    [InlineData("""{"instances":{"a":1}}""", "instances", "non-empty array")]
    [InlineData("""{"instances":[[1,2,3,4],[5,6,7]]}""", "instances[1]", "ragged")]
    [InlineData("""{"instances":[[1,2],["a","b"]]}""", "instances[1][0]", "must be a number")]
    [InlineData("""{"instances":[{"a":1},{"b":2}]}""", "instances[1]", "names inputs")]
    [InlineData("""{"instances":[null]}""", "instances[0]", "must hold numbers")]
    [InlineData("""{"signature_name":5,"instances":[[1]]}""", "signature_name", "must be a string")]
    public void Invalid_predict_requests_name_the_field_and_the_problem(string json, string field, string problem)
    {
        var violation = Violation(_adapter, "POST", "/v1/models/clf:predict", json);

        Assert.Equal(field, violation.Field);
        Assert.Contains(problem, violation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Predict_response_yields_one_row_per_prediction()
    {
        var response = Response(_adapter, "POST", "/v1/models/clf:predict", """{"predictions":[[0.1,0.9],[0.8,0.2]]}""");

        var output = Assert.Single(response.Outputs);
        Assert.Equal([2L, 2L], output.Shape);
        Assert.Equal([0.1, 0.9, 0.8, 0.2], output.Values);
    }

    [Fact]
    public void Named_predictions_become_one_output_per_name_across_rows()
    {
        const string json = """{"predictions":[{"probabilities":[0.1,0.9],"label":1},{"probabilities":[0.7,0.3],"label":0}]}""";
        var response = Response(_adapter, "POST", "/v1/models/clf:predict", json);

        var probabilities = response.Outputs.Single(o => o.Name == "probabilities");
        Assert.Equal([2L, 2L], probabilities.Shape);
        Assert.Equal([0.1, 0.9, 0.7, 0.3], probabilities.Values);
        Assert.Equal([1.0, 0.0], response.Outputs.Single(o => o.Name == "label").Values);

        probabilities.Values[1] = 1;
        probabilities.Values[2] = 1;
        probabilities.Values[0] = probabilities.Values[3] = 0;
        probabilities.MarkModified();
        Assert.Equal("""{"predictions":[{"probabilities":[0,1],"label":1},{"probabilities":[1,0],"label":0}]}""", Rewrite(_adapter, json, response));
    }

    [Fact]
    public void Columnar_outputs_are_read_by_name()
    {
        var response = Response(_adapter, "POST", "/v1/models/clf:predict", """{"outputs":{"scores":[[0.5,0.5]],"names":[["a","b"]]}}""");

        Assert.Equal("scores", Assert.Single(response.Outputs).Name);
    }
}
