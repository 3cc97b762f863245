using System.Net;
using System.Net.Http.Headers;
using AiGuard.IntegrationTests.DemoModel;
using static AiGuard.IntegrationTests.Gateway.GatewayFixture;

namespace AiGuard.IntegrationTests.Gateway;

[Collection(GatewayCollection.Name)]
public class ProtocolSuccessTests(GatewayFixture gateway)
{
    private const string Chat = """{"model":"demo-chat","messages":[{"role":"user","content":"Hello gateway"}],"max_tokens":16}""";

    [Fact]
    public async Task Chat_completion_through_the_gateway_returns_the_models_answer()
    {
        using var response = await gateway.Client.SendAsync(Json(HttpMethod.Post, "/v1/chat/completions", Chat, gateway.Full));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await ReadJsonAsync(response);
        Assert.Equal("chat.completion", body.GetProperty("object").GetString());
        Assert.Contains("Hello gateway", body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString(), StringComparison.Ordinal);
        Assert.True(body.GetProperty("usage").GetProperty("total_tokens").GetInt32() > 0);
    }

    [Fact]
    public async Task Streamed_chat_completion_arrives_as_sse_ending_with_usage_and_done()
    {
        var json = """{"model":"demo-chat","messages":[{"role":"user","content":"Stream please"}],"max_tokens":12,"stream":true}""";
        using var request = Json(HttpMethod.Post, "/v1/chat/completions", json, gateway.Full);

        using var response = await gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        var text = await response.Content.ReadAsStringAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var payloads = ServerSentEvents.DataPayloads(text);
        Assert.Equal("[DONE]", payloads[^1]);
        var chunks = ServerSentEvents.JsonChunks(payloads[..^1]);
        Assert.True(chunks.Count > 3);
        Assert.Equal(0, chunks[^1].GetProperty("choices").GetArrayLength());
        Assert.True(chunks[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32() > 0);
    }

    [Fact]
    public async Task Model_list_is_served_through_the_gateway()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", gateway.Full.Key);

        using var response = await gateway.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("list", (await ReadJsonAsync(response)).GetProperty("object").GetString());
    }

    [Fact]
    public async Task Open_inference_v2_infer_returns_probabilities()
    {
        var json = $$"""{"inputs":[{"name":"features","shape":[3,4],"datatype":"FP32","data":{{ClassifierSamples.NestedJson}}}]}""";

        using var response = await gateway.Client.SendAsync(Json(HttpMethod.Post, "/v2/models/demo-classifier/infer", json, gateway.Full));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var output = (await ReadJsonAsync(response)).GetProperty("outputs")[0];
        Assert.Equal(9, output.GetProperty("data").GetArrayLength());
    }

    [Fact]
    public async Task Tf_serving_predict_returns_predictions()
    {
        var json = $$"""{"instances":{{ClassifierSamples.NestedJson}}}""";

        using var response = await gateway.Client.SendAsync(Json(HttpMethod.Post, "/v1/models/demo-classifier:predict", json, gateway.Full));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(3, (await ReadJsonAsync(response)).GetProperty("predictions").GetArrayLength());
    }

    [Fact]
    public async Task Key_may_be_sent_in_the_x_api_key_header()
    {
        using var request = Json(HttpMethod.Post, "/v1/chat/completions", Chat, key: null);
        request.Headers.Add("x-api-key", gateway.Full.Key);

        using var response = await gateway.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Client_credentials_are_never_forwarded_and_the_cluster_credential_is_added()
    {
        using var request = Json(HttpMethod.Post, "/recorder/v1/chat/completions", Chat, gateway.ChatOnly);
        request.Headers.Add("x-api-key", gateway.ChatOnly.Key);
        request.Headers.Add("Proxy-Authorization", "Basic c2VjcmV0");
        gateway.Recorder.Received.Clear();

        using var response = await gateway.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var headers = Assert.Single(gateway.Recorder.Received);
        Assert.Equal("Bearer " + UpstreamKey, headers.Authorization.ToString());
        Assert.False(headers.ContainsKey("x-api-key"));
        Assert.False(headers.ContainsKey("Proxy-Authorization"));
        Assert.Equal("tests", headers["x-upstream-tenant"].ToString());
        Assert.DoesNotContain(headers, h => h.Value.ToString().Contains(gateway.ChatOnly.Key, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Health_endpoint_answers_without_a_key()
    {
        using var response = await gateway.Client.GetAsync(new Uri("/healthz", UriKind.Relative));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }
}
