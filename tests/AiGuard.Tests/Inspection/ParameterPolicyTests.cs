using System.Text;
using System.Text.Json;
using AiGuard.Inspection.Input;
using AiGuard.Protocols;
using AiGuard.Protocols.OpenAi;
using static AiGuard.Tests.Protocols.AdapterHarness;

namespace AiGuard.Tests.Inspection;

public sealed class ParameterPolicyTests
{
    private static readonly GenerationParameters Greedy = new()
    {
        MaxTokens = 4096,
        MaxCompletionTokens = 8000,
        N = 4,
        Logprobs = true,
        TopLogprobs = 20,
        LogitBias = new Dictionary<string, double> { ["1"] = 100, ["2"] = 100 },
        Tools = ToolMembers.Tools | ToolMembers.ToolChoice,
    };

    [Fact]
    public void A_policy_that_allows_everything_changes_nothing()
    {
        var verdict = ParameterPolicy.Apply(new ParameterPolicyOptions(), Greedy);
        Assert.False(verdict.Refused);
        Assert.False(verdict.Changed);
        Assert.False(new ParameterPolicyOptions().IsActive);
    }

    [Fact]
    public void Caps_lower_what_is_above_them_and_strips_remove_each_member_sent()
    {
        var policy = new ParameterPolicyOptions { MaxTokens = 256, MaxN = 1, Logprobs = ParameterRule.Strip, LogitBias = ParameterRule.Strip, Tools = ParameterRule.Strip };

        var verdict = ParameterPolicy.Apply(policy, Greedy);

        Assert.Equal(
            [
                new RequestEdit("max_tokens", 256), new RequestEdit("max_completion_tokens", 256), new RequestEdit("n", 1),
                new RequestEdit("logprobs", null), new RequestEdit("top_logprobs", null), new RequestEdit("logit_bias", null),
                new RequestEdit("tools", null), new RequestEdit("tool_choice", null),
            ],
            verdict.Edits);
        Assert.Equal(
            "max_tokens 4096 lowered to 256; max_completion_tokens 8000 lowered to 256; n 4 lowered to 1; logprobs removed; top_logprobs removed; logit_bias removed (2 tokens); tools removed; tool_choice removed",
            verdict.Changes);
        var applied = ParameterPolicy.Applied(Greedy, verdict.Edits);
        Assert.Equal(new GenerationParameters { MaxTokens = 256, MaxCompletionTokens = 256, N = 1 }, applied);
    }

    [Fact]
    public void Values_within_the_caps_and_members_not_sent_are_left_alone()
    {
        var policy = new ParameterPolicyOptions { MaxTokens = 256, MaxN = 2, MaxTopLogprobs = 5, LogitBias = ParameterRule.Strip, Tools = ParameterRule.Refuse };
        var modest = new GenerationParameters { MaxTokens = 256, N = 2, Logprobs = true, TopLogprobs = 5 };

        Assert.False(ParameterPolicy.Apply(policy, modest).Changed);
        Assert.False(ParameterPolicy.Apply(policy, null).Changed);
        var lowered = ParameterPolicy.Apply(policy, modest with { TopLogprobs = 9 });
        Assert.Equal([new RequestEdit("top_logprobs", 5)], lowered.Edits);
    }

    [Theory]
    [InlineData("logit_bias")]
    [InlineData("logprobs")]
    [InlineData("tools")]
    public void A_refused_parameter_refuses_the_request_before_anything_is_changed(string parameter)
    {
        var policy = new ParameterPolicyOptions
        {
            MaxTokens = 10,
            LogitBias = parameter == "logit_bias" ? ParameterRule.Refuse : ParameterRule.Allow,
            Logprobs = parameter == "logprobs" ? ParameterRule.Refuse : ParameterRule.Allow,
            Tools = parameter == "tools" ? ParameterRule.Refuse : ParameterRule.Allow,
        };

        var verdict = ParameterPolicy.Apply(policy, Greedy);

        Assert.Equal(parameter, verdict.RefusedParameter);
        Assert.Empty(verdict.Edits);
    }

    [Fact]
    public void The_rewrite_sets_and_removes_members_and_keeps_every_other_byte_of_meaning()
    {
        const string Body = """{"model":"m","messages":[{"role":"user","content":"naïve \u2028 \"quoted\""}],"max_tokens":999,"logprobs":true,"top_logprobs":3,"extra":{"nested":[1,2.5,null]}}""";

        var rewritten = RequestRewrite.Apply(Encoding.UTF8.GetBytes(Body), [new RequestEdit("max_tokens", 5), new RequestEdit("logprobs", null), new RequestEdit("top_logprobs", null), new RequestEdit("n", 1)]);

        var root = JsonDocument.Parse(rewritten).RootElement;
        Assert.Equal(5, root.GetProperty("max_tokens").GetInt32());
        Assert.Equal(1, root.GetProperty("n").GetInt32());
        Assert.False(root.TryGetProperty("logprobs", out _));
        Assert.False(root.TryGetProperty("top_logprobs", out _));
        Assert.Equal("naïve \u2028 \"quoted\"", root.GetProperty("messages")[0].GetProperty("content").GetString());
        Assert.Equal("[1,2.5,null]", root.GetProperty("extra").GetProperty("nested").GetRawText());
    }

    [Fact]
    public void The_openai_adapter_records_which_tool_members_a_request_sent()
    {
        var request = Parse(new OpenAiAdapter(), "POST", "/v1/chat/completions", """
            {"model":"m","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function"}],"tool_choice":null,"functions":[],"parallel_tool_calls":false}
            """);

        Assert.Equal(ToolMembers.Tools | ToolMembers.Functions | ToolMembers.ParallelToolCalls, request.Generation!.Tools);
    }

    [Fact]
    public void The_rewrite_replaces_text_at_the_field_paths_the_adapter_names()
    {
        const string Body = """{"model":"m","messages":[{"role":"system","content":"a"},{"role":"user","content":[{"type":"text","text":"b"},{"type":"image_url","image_url":{"url":"x"}},{"type":"text","text":"c"}]}]}""";

        var rewritten = RequestRewrite.Apply(Encoding.UTF8.GetBytes(Body), [], [("messages[0].content", "A"), ("messages[1].content[2].text", "[EMAIL] \"q\"")]);

        var messages = JsonDocument.Parse(rewritten).RootElement.GetProperty("messages");
        Assert.Equal("A", messages[0].GetProperty("content").GetString());
        Assert.Equal("b", messages[1].GetProperty("content")[0].GetProperty("text").GetString());
        Assert.Equal("x", messages[1].GetProperty("content")[1].GetProperty("image_url").GetProperty("url").GetString());
        Assert.Equal("[EMAIL] \"q\"", messages[1].GetProperty("content")[2].GetProperty("text").GetString());
        Assert.Throws<InvalidOperationException>(() => RequestRewrite.Apply(Encoding.UTF8.GetBytes(Body), [], [("messages[1].content", "x")]));
    }

    [Fact]
    public void A_request_without_max_tokens_gets_the_cap_set()
    {
        var verdict = ParameterPolicy.Apply(new ParameterPolicyOptions { MaxTokens = 512 }, new GenerationParameters());

        Assert.Equal([new RequestEdit("max_tokens", 512)], verdict.Edits);
        Assert.Equal("max_tokens set to 512 (none sent)", verdict.Changes);
    }
}
