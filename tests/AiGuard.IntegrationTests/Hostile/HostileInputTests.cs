using System.Net;
using System.Net.Http.Headers;
using System.Text;
using AiGuard.IntegrationTests.Gateway;
using AiGuard.Pipeline;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using static AiGuard.IntegrationTests.Gateway.GatewayFixture;

namespace AiGuard.IntegrationTests.Hostile;

/// <summary>Inputs found by fuzzing the demo gateway: each gets a clear problem answer and one audit event, never a 500.</summary>
[Collection(GatewayCollection.Name)]
public class HostileInputTests(GatewayFixture gateway)
{
    private const string ChatPath = "/v1/chat/completions";

    private async Task<RawHttp.Response> AssertRefusedAsync(RawHttp.Response response, int status, string code, string stage)
    {
        Assert.Equal(status, response.Status);
        Assert.Equal("application/problem+json", response.Headers["Content-Type"]);
        var problem = response.Json();
        Assert.Equal(code, problem.GetProperty("code").GetString());
        var incidentId = problem.GetProperty("incidentId").GetString()!;
        Assert.Equal(incidentId, response.Headers[ProblemWriter.IncidentHeader]);
        var audit = await gateway.Audit.WaitForAsync(incidentId);
        Assert.Equal(1, gateway.Audit.CountFor(incidentId));
        Assert.Equal(code, audit.Code);
        Assert.Equal(stage, audit.Stage);
        return response;
    }

    private static byte[] ChatWithBadUtf8(string target)
    {
        var json = Encoding.UTF8.GetBytes("""{"model":"demo-chat","messages":[{"role":"user","content":"hi"}]}""".Replace(target, target[..^2] + "\u0001\"", StringComparison.Ordinal));
        json[Array.IndexOf(json, (byte)1)] = 0xFF; // never valid in UTF-8
        return json;
    }

    private Task<HttpResponseMessage> PostBytesAsync(string path, byte[] body)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", gateway.Full.Key);
        return gateway.Client.SendAsync(request);
    }

    [Theory]
    [InlineData("\"hi\"", "messages[0].content")]
    [InlineData("\"demo-chat\"", "model")]
    public async Task Invalid_utf8_in_a_json_string_is_a_400_naming_the_field(string target, string field)
    {
        using var response = await PostBytesAsync(ChatPath, ChatWithBadUtf8(target));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await ReadJsonAsync(response);
        Assert.Equal("invalid_body", problem.GetProperty("code").GetString());
        Assert.Equal(field, problem.GetProperty("field").GetString());
        Assert.Equal(1, gateway.Audit.CountFor((await gateway.Audit.WaitForAsync(problem.GetProperty("incidentId").GetString()!)).IncidentId));
    }

    [Fact]
    public async Task A_lone_surrogate_escape_is_a_400()
    {
        using var response = await gateway.Client.SendAsync(Json(HttpMethod.Post, ChatPath, """{"model":"demo-chat","messages":[{"role":"user","content":"a\ud800b"}]}""", gateway.Full));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Equal("messages[0].content", (await ReadJsonAsync(response)).GetProperty("field").GetString());
    }

    [Theory]
    [InlineData("/v2/models/%FF/infer")]
    [InlineData("/v2/models/demo-%C3classifier/infer")]
    [InlineData("/v1/models/%E2%82:predict")]
    public async Task A_path_that_is_not_percent_encoded_utf8_is_a_400(string path)
    {
        var body = Encoding.UTF8.GetBytes("""{"inputs":[{"name":"features","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}""");
        var response = await RawHttp.SendAsync(
            gateway.GatewayAddress,
            $"POST {path} HTTP/1.1\r\nAuthorization: Bearer {gateway.Full.Key}\r\nContent-Type: application/json\r\nContent-Length: {body.Length}\r\n",
            body);

        await AssertRefusedAsync(response, 400, "invalid_path", "parse");
    }

    [Fact]
    public async Task A_chunk_size_that_overflows_is_a_400_problem()
    {
        var response = await RawHttp.SendAsync(
            gateway.GatewayAddress,
            $"POST {ChatPath} HTTP/1.1\r\nAuthorization: Bearer {gateway.Full.Key}\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n",
            Encoding.ASCII.GetBytes("ffffffffffffffffff\r\nabc\r\n0\r\n\r\n"));

        await AssertRefusedAsync(response, 400, "invalid_body", "parse");
    }

    [Fact]
    public async Task A_truncated_multibyte_character_is_a_400_not_a_500()
    {
        var body = Encoding.UTF8.GetBytes("""{"model":"demo-chat","messages":[{"role":"user","content":"h\u0001"}]}""".Replace("\\u0001", "\u0001", StringComparison.Ordinal));
        body[Array.IndexOf(body, (byte)1)] = 0xC3;

        using var response = await PostBytesAsync(ChatPath, body);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        Assert.Contains((await ReadJsonAsync(response)).GetProperty("code").GetString(), new[] { "invalid_body", "malformed_json" });
    }

    [Fact]
    public async Task A_client_that_hangs_up_mid_body_leaves_no_error_behind()
    {
        var before = gateway.Audit.Events.Count(e => e.Code == "internal_error");

        // Kestrel treats the half-closed connection as gone: there is nobody to answer, and
        // depending on timing the socket is reset or closed. Either way, no 500.
        try
        {
            var response = await RawHttp.SendAsync(
                gateway.GatewayAddress,
                $"POST {ChatPath} HTTP/1.1\r\nAuthorization: Bearer {gateway.Full.Key}\r\nContent-Type: application/json\r\nContent-Length: 200\r\n",
                Encoding.ASCII.GetBytes("{\"model\":\"demo-chat\""),
                closeSending: true);
            Assert.NotEqual(500, response.Status);
        }
        catch (Exception ex) when (ex is IOException or FormatException or ArgumentOutOfRangeException or IndexOutOfRangeException)
        {
        }

        using var next = await gateway.Client.SendAsync(Json(HttpMethod.Post, ChatPath, """{"model":"demo-chat","messages":[{"role":"user","content":"hi"}]}""", gateway.Full));
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
        Assert.Equal(before, gateway.Audit.Events.Count(e => e.Code == "internal_error"));
    }

    [Fact]
    public async Task A_non_ascii_header_value_is_a_400_naming_the_header_not_a_502()
    {
        var body = Encoding.UTF8.GetBytes("""{"model":"demo-chat","messages":[{"role":"user","content":"hi"}]}""");
        var response = await RawHttp.SendAsync(
            gateway.GatewayAddress,
            $"POST {ChatPath} HTTP/1.1\r\nAuthorization: Bearer {gateway.Full.Key}\r\nContent-Type: application/json\r\nX-Note: café\r\nContent-Length: {body.Length}\r\n",
            body);

        var refused = await AssertRefusedAsync(response, 400, "invalid_header", "forward");
        Assert.Equal("X-Note", refused.Json().GetProperty("field").GetString());
    }

    [Fact]
    public async Task A_huge_model_name_is_not_echoed_back_and_the_audit_event_holds_a_bounded_excerpt()
    {
        var model = "demo-" + new string('x', 60_000);
        using var response = await gateway.Client.SendAsync(Json(HttpMethod.Post, ChatPath, $$"""{"model":"{{model}}","messages":[{"role":"user","content":"hi"}]}""", gateway.ChatOnly));

        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        Assert.True(text.Length < 2_000, $"problem body of {text.Length} characters");
        var audit = await gateway.Audit.WaitForAsync((await ReadJsonAsync(response)).GetProperty("incidentId").GetString()!);
        Assert.True(audit.Model!.Length <= 128 + 30, $"audited model of {audit.Model.Length} characters");
        Assert.StartsWith("demo-xxx", audit.Model, StringComparison.Ordinal);
        Assert.True(audit.Detail!.Length < 600);
    }

    [Fact]
    public async Task Headers_kestrel_refuses_before_the_application_are_counted_by_kestrel()
    {
        var meters = gateway.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>();
        using var connections = new MetricCollector<double>(meters, "Microsoft.AspNetCore.Server.Kestrel", "kestrel.connection.duration");

        var response = await RawHttp.SendAsync(gateway.GatewayAddress, $"GET {ChatPath} HTTP/1.1\r\nX-Big: {new string('a', 40_000)}\r\n");

        Assert.Equal(431, response.Status);
        await connections.WaitForMeasurementsAsync(1, TimeSpan.FromSeconds(10));
        Assert.Contains(connections.GetMeasurementSnapshot(), m => Equals(m.Tags["error.type"], "max_request_headers_total_size_exceeded"));
    }
}
