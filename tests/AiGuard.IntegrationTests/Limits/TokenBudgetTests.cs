using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AiGuard.Identity;
using AiGuard.IntegrationTests.Gateway;
using AiGuard.Limits;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AiGuard.IntegrationTests.Limits;

/// <summary>LLM token budgets on a real gateway: reservation before forwarding, settlement to the reported usage after.</summary>
public class TokenBudgetTests
{
    // Thirty seconds into a minute: a per-minute budget resets in 30 s.
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 8, 0, 30, TimeSpan.Zero);

    private static readonly int PromptTokens = 3 + 3 + new PromptTokenCounter().Tokenizer("o200k_base").CountTokens("hello");

    private static string Body(int maxTokens, bool stream = false, bool askUsage = true) =>
        $$"""{"model":"demo-chat","max_tokens":{{maxTokens}},{{(stream ? "\"stream\":true," : "")}}{{(stream && askUsage ? "\"stream_options\":{\"include_usage\":true}," : "")}}"messages":[{"role":"user","content":"hello"}]}""";

    private static HttpRequestMessage Chat(GeneratedApiKey key, int maxTokens, bool stream = false, string? fault = null, bool askUsage = true)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Headers = { { "Authorization", "Bearer " + key.Key } },
            Content = new StringContent(Body(maxTokens, stream, askUsage), Encoding.UTF8, "application/json"),
        };
        if (fault is not null)
        {
            request.Headers.Add("x-demo-fault", fault);
        }

        return request;
    }

    private static async Task<(GatewayUnderTest Gateway, GeneratedApiKey Key)> StartAsync(string upstream, long perMinute, long perDay = 0)
    {
        var key = ApiKeyFormat.Generate();
        var settings = GatewaySettings.ForDemo(upstream).WithKey(key, 0, "spender");
        settings["AiGuard:TokenBudgets:Policies:tokens:PerMinute"] = perMinute.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["AiGuard:TokenBudgets:Policies:tokens:PerDay"] = perDay.ToString(System.Globalization.CultureInfo.InvariantCulture);
        settings["AiGuard:Policies:llm:TokenBudgets:0"] = "tokens";
        var gateway = await GatewayUnderTest.StartAsync(settings, builder => builder.Services.AddSingleton<TimeProvider>(new FakeTimeProvider(Now)));
        return (gateway, key);
    }

    [Fact]
    public async Task A_reservation_is_settled_to_the_reported_usage_and_an_exhausted_budget_refuses_with_429()
    {
        await using var upstream = await DemoUpstream.StartAsync();
        var (gateway, key) = await StartAsync(upstream.Address, perMinute: 200);
        await using var _ = gateway;

        using var first = await gateway.Client.SendAsync(Chat(key, maxTokens: 100));
        var used = (await first.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("usage").GetProperty("total_tokens").GetInt64();
        // Reserved 100 + prompt; settled to what the model reported, so a second reservation fits.
        using var second = await gateway.Client.SendAsync(Chat(key, maxTokens: 100));
        var usedAgain = (await second.Content.ReadFromJsonAsync<JsonElement>()).GetProperty("usage").GetProperty("total_tokens").GetInt64();
        var room = 200 - used - usedAgain;
        using var tooMuch = await gateway.Client.SendAsync(Chat(key, maxTokens: (int)room - PromptTokens + 1));
        using var fits = await gateway.Client.SendAsync(Chat(key, maxTokens: (int)room - PromptTokens));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.True(used + 100 + PromptTokens <= 200, $"the demo model reported {used} tokens");
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal(HttpStatusCode.TooManyRequests, tooMuch.StatusCode);
        Assert.Equal("30", tooMuch.Headers.RetryAfter?.ToString());
        var problem = await tooMuch.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("token_budget_exhausted", problem.GetProperty("code").GetString());
        Assert.Equal("rate_limit_error", problem.GetProperty("error").GetProperty("type").GetString());
        var audit = await gateway.Audit.WaitForAsync(problem.GetProperty("incidentId").GetString()!);
        Assert.Equal("token_budget", audit.Stage);
        Assert.Equal(HttpStatusCode.OK, fits.StatusCode);
    }

    [Fact]
    public async Task A_request_that_can_never_fit_is_a_400_naming_max_tokens_and_is_not_forwarded()
    {
        await using var upstream = await DemoUpstream.StartAsync();
        var (gateway, key) = await StartAsync(upstream.Address, perMinute: 1000, perDay: 200);
        await using var _ = gateway;

        using var response = await gateway.Client.SendAsync(Chat(key, maxTokens: 300));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("tokens_exceed_budget", problem.GetProperty("code").GetString());
        Assert.Equal("max_tokens", problem.GetProperty("field").GetString());
        Assert.Equal(
            $"This request may use up to {300 + PromptTokens} tokens ({PromptTokens} in the prompt and 300 per answer x 1), more than the token budget 'tokens' ever allows (200); lower max_tokens or shorten the prompt.",
            problem.GetProperty("detail").GetString());
        // Nothing was reserved: the whole budget is still there.
        using var fits = await gateway.Client.SendAsync(Chat(key, maxTokens: 200 - PromptTokens));
        Assert.Equal(HttpStatusCode.OK, fits.StatusCode);
    }

    [Fact]
    public async Task A_failed_upstream_gives_the_reservation_back()
    {
        await using var upstream = await DemoUpstream.StartAsync();
        var (gateway, key) = await StartAsync(upstream.Address, perMinute: 200);
        await using var _ = gateway;

        using var failed = await gateway.Client.SendAsync(Chat(key, maxTokens: 150, fault: "error"));
        using var next = await gateway.Client.SendAsync(Chat(key, maxTokens: 150));

        Assert.Equal(HttpStatusCode.InternalServerError, failed.StatusCode);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    [Fact]
    public async Task A_streamed_answer_is_settled_to_its_usage_chunk()
    {
        await using var upstream = await DemoUpstream.StartAsync();
        var (gateway, key) = await StartAsync(upstream.Address, perMinute: 200);
        await using var _ = gateway;

        using var streamed = await gateway.Client.SendAsync(Chat(key, maxTokens: 100, stream: true));
        var text = await streamed.Content.ReadAsStringAsync();
        using var next = await gateway.Client.SendAsync(Chat(key, maxTokens: 100));

        Assert.Equal(HttpStatusCode.OK, streamed.StatusCode);
        Assert.Contains("\"usage\"", text, StringComparison.Ordinal);
        Assert.EndsWith("data: [DONE]\n\n", text.Replace("\r\n", "\n", StringComparison.Ordinal), StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    [Fact]
    public async Task A_stream_whose_client_did_not_ask_for_usage_is_still_settled_and_the_usage_event_stays_hidden()
    {
        await using var upstream = await DemoUpstream.StartAsync();
        var (gateway, key) = await StartAsync(upstream.Address, perMinute: 200);
        await using var _ = gateway;

        using var streamed = await gateway.Client.SendAsync(Chat(key, maxTokens: 100, stream: true, askUsage: false));
        var text = (await streamed.Content.ReadAsStringAsync()).Replace("\r\n", "\n", StringComparison.Ordinal);
        // Charged its reservation (107 of 200), the next one would not fit; settled to usage, it does.
        using var next = await gateway.Client.SendAsync(Chat(key, maxTokens: 100));

        Assert.Equal(HttpStatusCode.OK, streamed.StatusCode);
        Assert.Contains("\"delta\"", text, StringComparison.Ordinal);
        // The usage event is gone (content chunks may carry "usage": null, as OpenAI's do once usage is asked for).
        Assert.DoesNotContain("prompt_tokens", text, StringComparison.Ordinal);
        Assert.EndsWith("data: [DONE]\n\n", text, StringComparison.Ordinal);
        Assert.Equal(HttpStatusCode.OK, next.StatusCode);
    }

    [Fact]
    public async Task Two_hundred_concurrent_requests_at_a_budget_for_fifty_admit_exactly_fifty()
    {
        await using var upstream = await BlockingUpstream.StartAsync();
        const int MaxTokens = 20;
        var (gateway, key) = await StartAsync(upstream.Address, perMinute: 50 * (MaxTokens + PromptTokens));
        await using var _ = gateway;
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 256 }) { BaseAddress = gateway.Address };

        var requests = Enumerable.Range(0, 200).Select(async _ =>
        {
            using var response = await client.SendAsync(Chat(key, MaxTokens));
            return response.StatusCode;
        }).ToArray();
        // Every refusal is decided while the admitted fifty are still held upstream.
        await RateLimitTests.WaitUntil(() => upstream.Arrived == 50 && gateway.Audit.Events.Count == 150);
        upstream.Release();
        var statuses = await Task.WhenAll(requests);

        Assert.Equal(50, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(150, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        Assert.Equal(50, upstream.Arrived);
        Assert.All(gateway.Audit.Events, e => Assert.Equal("token_budget_exhausted", e.Code));
    }
}
