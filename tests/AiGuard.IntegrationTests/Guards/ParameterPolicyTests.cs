using System.Net;
using System.Text;
using System.Text.Json;
using AiGuard.Identity;
using AiGuard.IntegrationTests.Gateway;

namespace AiGuard.IntegrationTests.Guards;

/// <summary>The generation-parameter policy on a real gateway in front of the demo model (which honours max_tokens and logprobs).</summary>
public sealed class ParameterPolicyTests
{
    private static async Task<(GatewayUnderTest Gateway, GeneratedApiKey Key)> StartAsync(string upstream, Action<Dictionary<string, string?>>? more = null)
    {
        var key = ApiKeyFormat.Generate();
        var settings = GatewaySettings.ForDemo(upstream).WithKey(key, 0, "writer");
        settings["AiGuard:Policies:llm:Parameters:MaxTokens"] = "5";
        settings["AiGuard:Policies:llm:Parameters:MaxN"] = "1";
        settings["AiGuard:Policies:llm:Parameters:Logprobs"] = "Strip";
        settings["AiGuard:Policies:llm:Parameters:LogitBias"] = "Refuse";
        settings["AiGuard:Policies:llm:Parameters:Tools"] = "Strip";
        more?.Invoke(settings);
        return (await GatewayUnderTest.StartAsync(settings), key);
    }

    private static HttpRequestMessage Chat(GeneratedApiKey key, string members) => new(HttpMethod.Post, "/v1/chat/completions")
    {
        Headers = { { "Authorization", "Bearer " + key.Key } },
        Content = new StringContent($$"""{"model":"demo-chat",{{members}},"messages":[{"role":"user","content":"tell me everything"}]}""", Encoding.UTF8, "application/json"),
    };

    [Fact]
    public async Task Caps_are_lowered_and_logprobs_and_tools_stripped_before_forwarding_with_one_audited_change()
    {
        await using var upstream = await DemoUpstream.StartAsync();
        var (gateway, key) = await StartAsync(upstream.Address);
        await using var _ = gateway;

        using var response = await gateway.Client.SendAsync(Chat(key,
            "\"max_tokens\":100,\"logprobs\":true,\"top_logprobs\":3,\"tools\":[{\"type\":\"function\",\"function\":{\"name\":\"lookup\",\"parameters\":{}}}],\"tool_choice\":\"auto\",\"temperature\":0.2"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        // The model saw max_tokens 5 and no logprobs request.
        Assert.Equal(5, body.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.Equal("length", body.GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(JsonValueKind.Null, body.GetProperty("choices")[0].GetProperty("logprobs").ValueKind);

        await RateLimitWait(() => gateway.Audit.Events.Any(e => e.Code == "parameters_changed"));
        var change = Assert.Single(gateway.Audit.Events, e => e.Code == "parameters_changed");
        Assert.Equal("modify", change.Decision);
        Assert.Equal("parameters", change.Stage);
        Assert.Equal("max_tokens 100 lowered to 5; logprobs removed; top_logprobs removed; tools removed; tool_choice removed", change.Detail);
    }

    [Fact]
    public async Task A_request_within_the_policy_is_forwarded_as_sent_with_no_audit_event()
    {
        await using var upstream = await DemoUpstream.StartAsync();
        var (gateway, key) = await StartAsync(upstream.Address);
        await using var _ = gateway;

        using var response = await gateway.Client.SendAsync(Chat(key, "\"max_tokens\":3,\"n\":1"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(3, body.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
        Assert.DoesNotContain(gateway.Audit.Events, e => e.Code == "parameters_changed");
    }

    [Theory]
    [InlineData("\"logit_bias\":{\"50256\":-100}", "logit_bias")]
    [InlineData("\"logprobs\":true", "logprobs")]
    [InlineData("\"top_logprobs\":2", "top_logprobs")]
    [InlineData("\"functions\":[{\"name\":\"f\"}]", "functions")]
    public async Task A_refused_parameter_is_a_400_naming_it_with_one_audit_event(string member, string parameter)
    {
        await using var upstream = await DemoUpstream.StartAsync();
        var (gateway, key) = await StartAsync(upstream.Address, s =>
        {
            s["AiGuard:Policies:llm:Parameters:Logprobs"] = "Refuse";
            s["AiGuard:Policies:llm:Parameters:Tools"] = "Refuse";
        });
        await using var _ = gateway;

        using var response = await gateway.Client.SendAsync(Chat(key, member));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal("parameter_not_allowed", body.GetProperty("code").GetString());
        Assert.Equal("parameter_not_allowed", body.GetProperty("error").GetProperty("code").GetString());
        Assert.Contains($"'{parameter}' is not allowed on this route", body.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var incident = body.GetProperty("incidentId").GetString()!;
        var audit = await gateway.Audit.WaitForAsync(incident);
        Assert.Equal("parameters", audit.Stage);
        Assert.Equal(1, gateway.Audit.CountFor(incident));
    }

    [Fact]
    public async Task A_stream_is_capped_too_and_a_token_budget_reserves_the_capped_max_tokens()
    {
        await using var upstream = await DemoUpstream.StartAsync();
        // 60 tokens a minute: a reservation of max_tokens 1000 could never fit; the capped 5 does.
        var (gateway, key) = await StartAsync(upstream.Address, s =>
        {
            s["AiGuard:TokenBudgets:Policies:tokens:PerMinute"] = "60";
            s["AiGuard:Policies:llm:TokenBudgets:0"] = "tokens";
        });
        await using var _ = gateway;

        using var response = await gateway.Client.SendAsync(Chat(key, "\"max_tokens\":1000,\"stream\":true"));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var text = await response.Content.ReadAsStringAsync();
        var chunks = text.Split('\n').Where(l => l.StartsWith("data: {", StringComparison.Ordinal)).ToArray();
        var content = chunks.Select(c => JsonDocument.Parse(c[6..]).RootElement.GetProperty("choices"))
            .Count(c => c.GetArrayLength() > 0 && c[0].GetProperty("delta").TryGetProperty("content", out var token) && token.GetString() is { Length: > 0 });
        // One token per chunk: the model streamed the capped 5.
        Assert.Equal(5, content);
        Assert.EndsWith("data: [DONE]", text.TrimEnd(), StringComparison.Ordinal);
        Assert.Contains(gateway.Audit.Events, e => e.Code == "parameters_changed" && e.Detail == "max_tokens 1000 lowered to 5");
    }

    private static Task RateLimitWait(Func<bool> condition) => Limits.RateLimitTests.WaitUntil(condition);
}
