using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using AiGuard.IntegrationTests.Gateway;

namespace AiGuard.IntegrationTests.Seam;

/// <summary>The stage seam seen from outside: what a stage decides is what the client gets and what the audit trail holds.</summary>
[Collection(SeamCollection.Name)]
public class StageSeamTests(SeamFixture fixture)
{
    private const string Chat = """{"model":"demo-chat","messages":[{"role":"user","content":"hi"}]}""";
    private const string Tensor = """{"inputs":[{"name":"features","shape":[2,4],"datatype":"FP32","data":[5.0,3.4,1.5,0.25,6.6,3.0,5.6,2.0]}]}""";

    private GatewayUnderTest Gateway => fixture.Gateway;

    private HttpRequestMessage Post(string path, string body, string? script = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new StringContent(body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", fixture.Key.Key);
        if (script is not null)
        {
            request.Headers.Add(ScriptedRequestStage.Header, script);
        }

        return request;
    }

    private async Task<(HttpResponseMessage Response, JsonElement Body)> SendAsync(HttpRequestMessage request)
    {
        var response = await Gateway.Client.SendAsync(request);
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return (response, document.RootElement.Clone());
    }

    private static double[] Probabilities(JsonElement body) =>
        [.. body.GetProperty("outputs")[0].GetProperty("data").EnumerateArray().Select(v => v.GetDouble())];

    [Fact]
    public async Task A_stage_refusal_is_the_answer_and_its_one_audit_event()
    {
        var (response, body) = await SendAsync(Post("/v1/chat/completions", Chat, "refuse"));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        Assert.Equal("test_refused", body.GetProperty("code").GetString());
        Assert.Equal("test_refused", body.GetProperty("error").GetProperty("code").GetString());
        var audit = await Gateway.Audit.WaitForAsync(body.GetProperty("incidentId").GetString()!);
        Assert.Equal("test_request", audit.Stage);
        Assert.Equal(1, Gateway.Audit.CountFor(audit.IncidentId));
    }

    [Fact]
    public async Task An_asynchronous_stage_decides_like_a_synchronous_one()
    {
        var (response, body) = await SendAsync(Post("/v2/models/demo-classifier/infer", Tensor, "async"));

        Assert.Equal(HttpStatusCode.Conflict, response.StatusCode);
        Assert.Equal("test_async_refused", body.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_change_lets_the_request_go_on_and_is_audited_once()
    {
        var before = Gateway.Audit.Events.Count(e => e.Code == "test_modified");

        var (response, _) = await SendAsync(Post("/v1/chat/completions", Chat, "modify"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        await WaitUntilAsync(() => Gateway.Audit.Events.Count(e => e.Code == "test_modified") == before + 1);
        var audit = Gateway.Audit.Events.Last(e => e.Code == "test_modified");
        Assert.Equal("modify", audit.Decision);
        Assert.Equal("messages[0].content", audit.Field);
    }

    [Fact]
    public async Task A_failing_stage_fails_closed_by_default()
    {
        var (response, body) = await SendAsync(Post("/v2/models/demo-classifier/infer", Tensor, "throw"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, response.StatusCode);
        Assert.Equal("guard_unavailable", body.GetProperty("code").GetString());
        Assert.DoesNotContain("scripted failure", body.ToString(), StringComparison.Ordinal);
        Assert.Equal("test_request", (await Gateway.Audit.WaitForAsync(body.GetProperty("incidentId").GetString()!)).Stage);
    }

    [Fact]
    public async Task A_failing_stage_on_a_fail_open_route_lets_the_request_through_audited_and_counted()
    {
        var before = Gateway.Audit.Events.Count(e => e.Code == "guard_failed_open");

        var (response, body) = await SendAsync(Post("/v1/chat/completions", Chat, "throw"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("chat.completion", body.GetProperty("object").GetString());
        await WaitUntilAsync(() => Gateway.Audit.Events.Count(e => e.Code == "guard_failed_open") == before + 1);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)] // the model server sends its answer chunked, in 16-byte pieces, with no length
    public async Task Route_policy_rounds_probabilities_and_does_not_audit_each_answer(bool chunked)
    {
        var (response, body) = await SendAsync(Chunked(Post("/rounded/v2/models/demo-classifier/infer", Tensor), chunked));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var values = Probabilities(body);
        Assert.Equal(6, values.Length);
        Assert.All(values, v => Assert.Equal(Math.Round(v, 2), v));
        Assert.Contains(values, v => v is > 0 and < 1);
        Assert.Equal(Encoding.UTF8.GetByteCount(body.GetRawText()), response.Content.Headers.ContentLength);
        Assert.DoesNotContain(Gateway.Audit.Events, e => e.Code == "output_hardened" && e.RouteId == "rounded");
    }

    [Fact]
    public async Task Label_only_answers_one_hot_rows_of_the_same_shape()
    {
        var (_, plain) = await SendAsync(Post("/plain/v2/models/demo-classifier/infer", Tensor));
        var (_, label) = await SendAsync(Post("/label/v2/models/demo-classifier/infer", Tensor));

        var full = Probabilities(plain);
        var hardened = Probabilities(label);
        Assert.Equal(full.Length, hardened.Length);
        for (var row = 0; row < 2; row++)
        {
            var fullRow = full.Skip(row * 3).Take(3).ToArray();
            var hardRow = hardened.Skip(row * 3).Take(3).ToArray();
            Assert.Equal(1.0, hardRow[Array.IndexOf(fullRow, fullRow.Max())]);
            Assert.Equal(1.0, hardRow.Sum());
        }
    }

    [Fact]
    public async Task Tf_serving_predictions_keep_the_top_class_only()
    {
        var (response, body) = await SendAsync(Post("/v1/models/demo-classifier:predict", """{"instances":[[6.6,3.0,5.6,2.0]]}"""));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var row = body.GetProperty("predictions")[0].EnumerateArray().Select(v => v.GetDouble()).ToArray();
        Assert.Equal(2, row.Count(v => v == 0));
        Assert.Equal(Math.Round(row.Max(), 3), row.Max());
    }

    [Fact]
    public async Task A_request_stage_can_harden_one_clients_answers_and_that_is_audited()
    {
        var (response, body) = await SendAsync(Post("/v2/models/demo-classifier/infer", Tensor, "harden"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.All(Probabilities(body), v => Assert.True(v is 0 or 1));
        await WaitUntilAsync(() => Gateway.Audit.Events.Any(e => e.Code == "output_hardened" && e.Detail!.Contains("label-only", StringComparison.Ordinal)));

        var (_, untouched) = await SendAsync(Post("/v2/models/demo-classifier/infer", Tensor));
        Assert.Contains(Probabilities(untouched), v => v is > 0 and < 1);
    }

    [Fact]
    public async Task Server_software_headers_are_removed_unless_the_policy_keeps_them()
    {
        using var scrubbed = await Gateway.Client.SendAsync(Post("/v2/models/demo-classifier/infer", Tensor));
        using var kept = await Gateway.Client.SendAsync(Post("/plain/v2/models/demo-classifier/infer", Tensor));

        Assert.False(scrubbed.Headers.Contains("Server"));
        Assert.Equal("Kestrel", kept.Headers.Server.ToString());
    }

    [Fact]
    public async Task A_route_without_response_stages_passes_the_answer_as_sent()
    {
        using var response = await Gateway.Client.SendAsync(Post("/plain/v2/models/demo-classifier/infer", Tensor));

        var text = await response.Content.ReadAsStringAsync();
        Assert.Equal(text.Length, response.Content.Headers.ContentLength);
        Assert.Contains("\"datatype\":\"FP32\"", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_answer_that_does_not_parse_is_not_passed_on()
    {
        var request = Post("/rounded/v2/models/demo-classifier/infer", Tensor);
        request.Headers.Add("x-demo-fault", "garbage");

        var (response, body) = await SendAsync(request);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("upstream_invalid_response", body.GetProperty("code").GetString());
        Assert.Equal("parse_response", (await Gateway.Audit.WaitForAsync(body.GetProperty("incidentId").GetString()!)).Stage);
    }

    [Theory]
    [InlineData(false)] // refused on its declared length
    [InlineData(true)] // no length declared: refused once more than the limit has been read
    public async Task An_answer_larger_than_the_inspection_limit_is_refused(bool chunked)
    {
        var (response, body) = await SendAsync(Chunked(Post("/tiny/v2/models/demo-classifier/infer", Tensor), chunked));

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("response_too_large", body.GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_bug_in_an_adapter_is_an_audited_500_at_stage_gateway()
    {
        var (response, body) = await SendAsync(Post("/broken/v2/models/demo-classifier/infer", Tensor));

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        Assert.Equal("internal_error", body.GetProperty("code").GetString());
        Assert.DoesNotContain("adapter bug", body.ToString(), StringComparison.Ordinal);
        Assert.Equal("gateway", (await Gateway.Audit.WaitForAsync(body.GetProperty("incidentId").GetString()!)).Stage);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        for (var i = 0; i < 200 && !condition(); i++)
        {
            await Task.Delay(25);
        }

        Assert.True(condition());
    }

    /// <summary>Asks the demo model to send its answer chunked, without a Content-Length (its <c>chunked</c> fault).</summary>
    private static HttpRequestMessage Chunked(HttpRequestMessage request, bool chunked)
    {
        if (chunked)
        {
            request.Headers.Add("x-demo-fault", "chunked");
        }

        return request;
    }
}
