using System.Net;
using System.Text;
using System.Text.Json;

namespace AiGuard.IntegrationTests.DemoModel;

public sealed class ChatCompletionsTests(DemoModelFixture server) : IClassFixture<DemoModelFixture>
{
    private const string Hello = """{"model":"demo-chat","messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hello, demo model!"}]}""";

    [Fact]
    public async Task Models_list_names_the_chat_models_in_the_OpenAI_shape()
    {
        var (response, body) = await server.GetJsonAsync("/v1/models");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("list", body.GetProperty("object").GetString());
        var models = body.GetProperty("data").EnumerateArray().ToList();
        Assert.Equal(["demo-chat", "demo-chat-large"], models.Select(m => m.GetProperty("id").GetString()));
        Assert.All(models, m =>
        {
            Assert.Equal("model", m.GetProperty("object").GetString());
            Assert.Equal("aiguard-demo", m.GetProperty("owned_by").GetString());
            Assert.True(m.GetProperty("created").GetInt64() > 0);
        });
    }

    [Fact]
    public async Task Completion_has_the_OpenAI_shape_and_usage_that_adds_up()
    {
        var (response, body) = await server.PostJsonAsync("/v1/chat/completions", Hello);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.StartsWith("chatcmpl-", body.GetProperty("id").GetString(), StringComparison.Ordinal);
        Assert.Equal("chat.completion", body.GetProperty("object").GetString());
        Assert.Equal("demo-chat", body.GetProperty("model").GetString());
        var choice = Assert.Single(body.GetProperty("choices").EnumerateArray());
        Assert.Equal(0, choice.GetProperty("index").GetInt32());
        Assert.Equal("assistant", choice.GetProperty("message").GetProperty("role").GetString());
        Assert.StartsWith("Demo reply to: Hello, demo model!.", choice.GetProperty("message").GetProperty("content").GetString(), StringComparison.Ordinal);
        Assert.Equal("stop", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(JsonValueKind.Null, choice.GetProperty("logprobs").ValueKind);
        var usage = body.GetProperty("usage");
        Assert.True(usage.GetProperty("prompt_tokens").GetInt32() > 0);
        Assert.True(usage.GetProperty("completion_tokens").GetInt32() > 20);
        Assert.Equal(
            usage.GetProperty("prompt_tokens").GetInt32() + usage.GetProperty("completion_tokens").GetInt32(),
            usage.GetProperty("total_tokens").GetInt32());
    }

    [Fact]
    public async Task Same_request_gets_the_same_reply_and_only_the_last_user_message_matters()
    {
        var (_, first) = await server.PostJsonAsync("/v1/chat/completions", Hello);
        var (_, second) = await server.PostJsonAsync(
            "/v1/chat/completions",
            """{"model":"demo-chat-large","messages":[{"role":"user","content":"earlier"},{"role":"assistant","content":null},{"role":"user","content":[{"type":"text","text":"Hello, demo model!"}]}]}""");

        Assert.Equal(Content(first, 0), Content(second, 0));
        Assert.Equal("demo-chat-large", second.GetProperty("model").GetString());
    }

    [Theory]
    [InlineData("max_tokens")]
    [InlineData("max_completion_tokens")]
    public async Task Max_tokens_truncates_the_reply_and_reports_finish_reason_length(string parameter)
    {
        var (response, body) = await server.PostJsonAsync(
            "/v1/chat/completions",
            $$"""{"model":"demo-chat","messages":[{"role":"user","content":"Hi"}],"{{parameter}}":5}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var choice = Assert.Single(body.GetProperty("choices").EnumerateArray());
        Assert.Equal("Demo reply to: Hi", choice.GetProperty("message").GetProperty("content").GetString());
        Assert.Equal("length", choice.GetProperty("finish_reason").GetString());
        Assert.Equal(5, body.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task N_returns_n_choices_and_usage_counts_the_tokens_of_all_of_them()
    {
        var (_, single) = await server.PostJsonAsync("/v1/chat/completions", Hello);
        var (response, body) = await server.PostJsonAsync(
            "/v1/chat/completions",
            """{"model":"demo-chat","n":2,"messages":[{"role":"system","content":"Be brief."},{"role":"user","content":"Hello, demo model!"}]}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var choices = body.GetProperty("choices").EnumerateArray().ToList();
        Assert.Equal([0, 1], choices.Select(c => c.GetProperty("index").GetInt32()));
        Assert.All(choices, c => Assert.Equal(Content(single, 0), c.GetProperty("message").GetProperty("content").GetString()));
        Assert.Equal(
            2 * single.GetProperty("usage").GetProperty("completion_tokens").GetInt32(),
            body.GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Logprobs_come_back_for_every_token_with_the_requested_alternatives()
    {
        var (response, body) = await server.PostJsonAsync(
            "/v1/chat/completions",
            """{"model":"demo-chat","messages":[{"role":"user","content":"Tell me"}],"max_tokens":12,"logprobs":true,"top_logprobs":3}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var choice = Assert.Single(body.GetProperty("choices").EnumerateArray());
        var entries = choice.GetProperty("logprobs").GetProperty("content").EnumerateArray().ToList();
        Assert.Equal(12, entries.Count);
        Assert.Equal(Content(body, 0), string.Concat(entries.Select(e => e.GetProperty("token").GetString())));
        Assert.All(entries, entry =>
        {
            var token = entry.GetProperty("token").GetString()!;
            Assert.True(entry.GetProperty("logprob").GetDouble() <= 0);
            Assert.Equal(Encoding.UTF8.GetBytes(token), entry.GetProperty("bytes").EnumerateArray().Select(b => (byte)b.GetInt32()));
            var alternatives = entry.GetProperty("top_logprobs").EnumerateArray().ToList();
            Assert.Equal(3, alternatives.Count);
            Assert.Equal(3, alternatives.Select(a => a.GetProperty("token").GetString()).Distinct().Count());
        });
    }

    [Fact]
    public async Task Unknown_model_gets_404_model_not_found()
    {
        var (response, body) = await server.PostJsonAsync(
            "/v1/chat/completions",
            """{"model":"gpt-nope","messages":[{"role":"user","content":"Hi"}]}""");

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        AssertOpenAiError(body, "model_not_found");
    }

    [Theory]
    [InlineData("{\"model\":\"demo-chat\",\"messages\":[", null)]
    [InlineData("", null)]
    [InlineData("[1,2]", null)]
    [InlineData("""{"model":"demo-chat"}""", "messages")]
    [InlineData("""{"model":"demo-chat","messages":[]}""", "messages")]
    [InlineData("""{"messages":[{"role":"user","content":"Hi"}]}""", "model")]
    [InlineData("""{"model":"demo-chat","messages":[{"role":"wizard","content":"Hi"}]}""", "messages[0].role")]
    [InlineData("""{"model":"demo-chat","messages":[{"role":"user","content":"Hi"}],"max_tokens":0}""", "max_tokens")]
    [InlineData("""{"model":"demo-chat","messages":[{"role":"user","content":"Hi"}],"top_logprobs":2}""", "top_logprobs")]
    [InlineData("""{"model":"demo-chat","messages":[{"role":"user","content":"Hi"}],"stream_options":{"include_usage":true}}""", "stream_options")]
    public async Task Invalid_request_gets_400_in_the_OpenAI_error_shape(string json, string? param)
    {
        var (response, body) = await server.PostJsonAsync("/v1/chat/completions", json);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        AssertOpenAiError(body, code: null);
        Assert.Equal(param, body.GetProperty("error").GetProperty("param").GetString());
    }

    private static string Content(JsonElement completion, int choice) =>
        completion.GetProperty("choices")[choice].GetProperty("message").GetProperty("content").GetString()!;

    private static void AssertOpenAiError(JsonElement body, string? code)
    {
        var error = body.GetProperty("error");
        Assert.False(string.IsNullOrEmpty(error.GetProperty("message").GetString()));
        Assert.Equal("invalid_request_error", error.GetProperty("type").GetString());
        Assert.True(error.TryGetProperty("param", out _));
        Assert.Equal(code, error.GetProperty("code").GetString());
    }
}
