using System.Net;
using System.Text.Json;

namespace AiGuard.IntegrationTests.DemoModel;

public sealed class TfServingTests(DemoModelFixture server) : IClassFixture<DemoModelFixture>
{
    [Theory]
    [InlineData("/v1/models/demo-classifier:predict")]
    [InlineData("/v1/models/demo-classifier/versions/1:predict")]
    public async Task Predict_in_row_format_returns_the_same_probabilities_as_the_v2_protocol(string path)
    {
        var (v2Response, v2) = await server.PostJsonAsync(
            "/v2/models/demo-classifier/infer",
            $$"""{"inputs":[{"name":"features","shape":[3,4],"datatype":"FP32","data":{{ClassifierSamples.NestedJson}}}]}""");
        var (response, body) = await server.PostJsonAsync(path, $$"""{"instances":{{ClassifierSamples.NestedJson}}}""");

        Assert.Equal(HttpStatusCode.OK, v2Response.StatusCode);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var predictions = body.GetProperty("predictions").EnumerateArray()
            .Select(row => row.EnumerateArray().Select(p => p.GetDouble()).ToArray())
            .ToList();
        Assert.Equal(OpenInferenceTests.Rows(v2.GetProperty("outputs")[0]), predictions);
    }

    [Fact]
    public async Task Predict_in_columnar_format_answers_under_outputs_like_TF_Serving()
    {
        var (_, rows) = await server.PostJsonAsync("/v1/models/demo-classifier:predict", $$"""{"instances":{{ClassifierSamples.NestedJson}}}""");
        var (response, columnar) = await server.PostJsonAsync("/v1/models/demo-classifier:predict", $$$"""{"inputs":{"features":{{{ClassifierSamples.NestedJson}}}}}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(rows.GetProperty("predictions").GetRawText(), columnar.GetProperty("outputs").GetRawText());
    }

    [Fact]
    public async Task Model_status_reports_version_1_available()
    {
        var (response, body) = await server.GetJsonAsync("/v1/models/demo-classifier");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var status = Assert.Single(body.GetProperty("model_version_status").EnumerateArray());
        Assert.Equal("1", status.GetProperty("version").GetString());
        Assert.Equal("AVAILABLE", status.GetProperty("state").GetString());
    }

    [Fact]
    public async Task Get_on_a_chat_model_under_v1_models_is_the_OpenAI_model_object()
    {
        var (response, body) = await server.GetJsonAsync("/v1/models/demo-chat");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("model", body.GetProperty("object").GetString());
    }

    [Theory]
    [InlineData("""{"instances":[[1,2,3]]}""", "Row 0")]
    [InlineData("""{"instances":[]}""", "rows")]
    [InlineData("""{"instances":[[1,2,3,"NaN"]]}""", "finite")]
    [InlineData("""{"instances":[[1,2,3,4]],"inputs":[[1,2,3,4]]}""", "exactly one")]
    [InlineData("""{"signature_name":"serving_default"}""", "exactly one")]
    [InlineData("""{"instances":[[1,2,3,4]""", "JSON")]
    public async Task Invalid_predict_request_gets_400_with_a_plain_error(string json, string messageFragment)
    {
        var (response, body) = await server.PostJsonAsync("/v1/models/demo-classifier:predict", json);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains(messageFragment, body.GetProperty("error").GetString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("/v1/models/no-such-model:predict")]
    [InlineData("/v1/models/demo-classifier/versions/2:predict")]
    [InlineData("/v1/models/demo-chat:predict")]
    public async Task Predict_on_an_unknown_model_gets_404(string path)
    {
        var (response, body) = await server.PostJsonAsync(path, """{"instances":[[1,2,3,4]]}""");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal(JsonValueKind.String, body.GetProperty("error").ValueKind);
    }
}
