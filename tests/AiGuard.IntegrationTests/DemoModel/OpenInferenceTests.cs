using System.Net;
using System.Text.Json;

namespace AiGuard.IntegrationTests.DemoModel;

public sealed class OpenInferenceTests(DemoModelFixture server) : IClassFixture<DemoModelFixture>
{
    [Theory]
    [InlineData("/v2/health/live")]
    [InlineData("/v2/health/ready")]
    [InlineData("/v2/models/demo-classifier/ready")]
    public async Task Health_and_readiness_answer_200(string path)
    {
        var (response, _) = await server.GetJsonAsync(path);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Metadata_describes_the_tensors_and_reports_the_training_accuracy()
    {
        var (response, body) = await server.GetJsonAsync("/v2/models/demo-classifier");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("demo-classifier", body.GetProperty("name").GetString());
        Assert.Equal(["1"], body.GetProperty("versions").EnumerateArray().Select(v => v.GetString()));
        var input = Assert.Single(body.GetProperty("inputs").EnumerateArray());
        Assert.Equal("features", input.GetProperty("name").GetString());
        Assert.Equal("FP32", input.GetProperty("datatype").GetString());
        Assert.Equal("[-1,4]", input.GetProperty("shape").GetRawText());
        var output = Assert.Single(body.GetProperty("outputs").EnumerateArray());
        Assert.Equal("probabilities", output.GetProperty("name").GetString());
        Assert.Equal("[-1,3]", output.GetProperty("shape").GetRawText());
        Assert.InRange(body.GetProperty("parameters").GetProperty("training_accuracy").GetDouble(), 0.9, 1.0);
    }

    [Fact]
    public async Task Infer_returns_one_probability_row_per_input_row_each_summing_to_one()
    {
        var (response, body) = await InferAsync(ClassifierSamples.NestedJson, rows: 3, id: "req-1");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("demo-classifier", body.GetProperty("model_name").GetString());
        Assert.Equal("1", body.GetProperty("model_version").GetString());
        Assert.Equal("req-1", body.GetProperty("id").GetString());
        var output = Assert.Single(body.GetProperty("outputs").EnumerateArray());
        Assert.Equal("probabilities", output.GetProperty("name").GetString());
        Assert.Equal("FP32", output.GetProperty("datatype").GetString());
        Assert.Equal("[3,3]", output.GetProperty("shape").GetRawText());
        var rows = Rows(output);
        Assert.Equal(3, rows.Count);
        Assert.All(rows, row =>
        {
            Assert.All(row, p => Assert.InRange(p, 0.0, 1.0));
            Assert.Equal(1.0, row.Sum(), 1e-5);
        });
    }

    [Fact]
    public async Task Classifier_has_learned_to_put_each_blob_centre_in_its_own_class()
    {
        var (_, body) = await InferAsync(ClassifierSamples.NestedJson, rows: 3);

        var predicted = Rows(body.GetProperty("outputs")[0]).Select(row => Array.IndexOf(row, row.Max()));
        Assert.Equal([0, 1, 2], predicted);
    }

    [Fact]
    public async Task Flat_and_nested_data_give_the_same_probabilities()
    {
        var (_, nested) = await InferAsync(ClassifierSamples.NestedJson, rows: 3);
        var (_, flat) = await InferAsync(ClassifierSamples.FlatJson, rows: 3);

        Assert.Equal(
            nested.GetProperty("outputs")[0].GetProperty("data").GetRawText(),
            flat.GetProperty("outputs")[0].GetProperty("data").GetRawText());
    }

    [Theory]
    [InlineData("""{"inputs":[{"name":"features","shape":[1,3],"datatype":"FP32","data":[1,2,3]}]}""", "shape")]
    [InlineData("""{"inputs":[{"name":"features","shape":[4],"datatype":"FP32","data":[1,2,3,4]}]}""", "shape")]
    [InlineData("""{"inputs":[{"name":"features","shape":[1,4],"datatype":"INT64","data":[1,2,3,4]}]}""", "datatype")]
    [InlineData("""{"inputs":[{"name":"features","shape":[2,4],"datatype":"FP32","data":[1,2,3,4]}]}""", "needs 8")]
    [InlineData("""{"inputs":[{"name":"features","shape":[1,4],"datatype":"FP32","data":[1,2,3,"NaN"]}]}""", "finite")]
    [InlineData("""{"inputs":[{"name":"features","shape":[1,4],"datatype":"FP32","data":[1,2,3,1e39]}]}""", "finite")]
    [InlineData("""{"inputs":[{"name":"features","shape":[1,4],"datatype":"FP32","data":[1,2,3,"x"]}]}""", "numbers")]
    [InlineData("""{"inputs":[{"name":"pixels","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}""", "pixels")]
    [InlineData("""{"inputs":[{"name":"features","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}],"outputs":[{"name":"logits"}]}""", "logits")]
    [InlineData("""{"inputs":[]}""", "exactly 1")]
    [InlineData("""{"inputs":[{"name":"features",""", "JSON")]
    public async Task Invalid_infer_request_gets_400_with_a_plain_error(string json, string messageFragment)
    {
        var (response, body) = await server.PostJsonAsync("/v2/models/demo-classifier/infer", json);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(messageFragment, body.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v2/models/no-such-model/infer")]
    [InlineData("/v2/models/demo-classifier/versions/9/infer")]
    public async Task Infer_on_an_unknown_model_or_version_gets_404(string path)
    {
        var (response, body) = await server.PostJsonAsync(
            path,
            """{"inputs":[{"name":"features","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}""");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(JsonValueKind.String, body.GetProperty("error").ValueKind);
    }

    [Fact]
    public async Task Metadata_of_an_unknown_model_gets_404()
    {
        var (response, body) = await server.GetJsonAsync("/v2/models/no-such-model");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(JsonValueKind.String, body.GetProperty("error").ValueKind);
    }

    private Task<(HttpResponseMessage Response, JsonElement Body)> InferAsync(string data, int rows, string? id = null)
    {
        var idField = id is null ? string.Empty : $"\"id\":\"{id}\",";
        return server.PostJsonAsync(
            "/v2/models/demo-classifier/infer",
            $$"""{{{idField}}"inputs":[{"name":"features","shape":[{{rows}},4],"datatype":"FP32","data":{{data}}}],"outputs":[{"name":"probabilities"}]}""");
    }

    internal static List<double[]> Rows(JsonElement output)
    {
        var columns = output.GetProperty("shape")[1].GetInt32();
        return output.GetProperty("data").EnumerateArray().Select(v => v.GetDouble()).Chunk(columns).ToList();
    }
}
