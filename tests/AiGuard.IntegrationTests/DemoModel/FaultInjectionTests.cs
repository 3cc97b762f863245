using System.Net;
using System.Text.Json;

namespace AiGuard.IntegrationTests.DemoModel;

public sealed class FaultInjectionTests(DemoModelFixture server) : IClassFixture<DemoModelFixture>
{
    [Fact]
    public async Task Error_fault_answers_500_with_a_json_error()
    {
        var response = await SendWithFaultAsync("error");

        Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("injected_fault", body.RootElement.GetProperty("error").GetProperty("code").GetString());
    }

    [Fact]
    public async Task Reset_fault_drops_the_connection_without_a_response()
    {
        await Assert.ThrowsAsync<HttpRequestException>(() => SendWithFaultAsync("reset"));
    }

    [Fact]
    public async Task Garbage_fault_answers_200_with_a_body_that_is_not_json()
    {
        var response = await SendWithFaultAsync("garbage");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = await response.Content.ReadAsStringAsync();
        Assert.ThrowsAny<JsonException>(() => JsonDocument.Parse(body));
    }

    [Fact]
    public async Task Answers_carry_their_length_and_the_chunked_fault_sends_the_same_answer_chunked()
    {
        using var whole = await server.Client.GetAsync("/v1/models", HttpCompletionOption.ResponseHeadersRead);
        using var chunked = await SendWithFaultAsync("chunked");

        Assert.NotNull(whole.Content.Headers.ContentLength);
        Assert.Null(whole.Headers.TransferEncodingChunked);
        Assert.True(chunked.Headers.TransferEncodingChunked);
        Assert.Equal(await whole.Content.ReadAsStringAsync(), await chunked.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Slow_fault_holds_the_answer_until_its_delay_has_passed_then_answers_normally()
    {
        var pending = SendWithFaultAsync("slow", delayMs: "5000");

        // The fake clock has not moved: the answer must still be pending.
        var early = await Task.WhenAny(pending, Task.Delay(300));
        Assert.NotSame(pending, early);
        server.Time.Advance(TimeSpan.FromMilliseconds(4999));
        Assert.NotSame(pending, await Task.WhenAny(pending, Task.Delay(200)));

        server.Time.Advance(TimeSpan.FromMilliseconds(1));
        var response = await pending.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
    }

    [Fact]
    public async Task Slow_fault_can_be_abandoned_by_the_client_and_the_server_keeps_serving()
    {
        using var cancellation = new CancellationTokenSource();
        var pending = SendWithFaultAsync("slow", delayMs: "600000", cancellation.Token);
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => pending);
        var (after, _) = await server.GetJsonAsync("/v1/models");
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
    }

    [Theory]
    [InlineData("meteor", null)]
    [InlineData("slow", "soon")]
    public async Task Unknown_fault_or_bad_delay_gets_400(string fault, string? delayMs)
    {
        var response = await SendWithFaultAsync(fault, delayMs);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Debug_headers_echoes_the_request_headers_it_received()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/debug/headers");
        request.Headers.Add("X-Upstream-Key", "seen-by-upstream");
        var response = await server.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        using var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        Assert.Equal("seen-by-upstream", body.RootElement.GetProperty("x-upstream-key").GetString());
        Assert.Equal(server.BaseAddress.Authority, body.RootElement.GetProperty("host").GetString());
    }

    private Task<HttpResponseMessage> SendWithFaultAsync(string fault, string? delayMs = null, CancellationToken cancellationToken = default)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, "/v1/models");
        request.Headers.Add("x-demo-fault", fault);
        if (delayMs is not null)
        {
            request.Headers.Add("x-demo-delay-ms", delayMs);
        }

        return server.Client.SendAsync(request, cancellationToken);
    }
}
