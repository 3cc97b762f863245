using System.Net;
using System.Text;
using System.Text.Json;

namespace AiGuard.IntegrationTests.DemoModel;

public sealed class ChatCompletionsStreamingTests(DemoModelFixture server) : IClassFixture<DemoModelFixture>
{
    private const string Messages = """[{"role":"user","content":"Stream this, please."}]""";

    [Fact]
    public async Task Stream_is_role_chunk_then_content_then_finish_then_usage_then_done()
    {
        var (response, payloads) = await StreamAsync($$"""{"model":"demo-chat","messages":{{Messages}},"stream":true}""");

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        Assert.Equal("[DONE]", payloads[^1]);
        var chunks = ServerSentEvents.JsonChunks(payloads.SkipLast(1));
        Assert.All(chunks, c => Assert.Equal("chat.completion.chunk", c.GetProperty("object").GetString()));
        Assert.Single(chunks.Select(c => c.GetProperty("id").GetString()).Distinct());

        var first = chunks[0].GetProperty("choices")[0];
        Assert.Equal("assistant", first.GetProperty("delta").GetProperty("role").GetString());
        Assert.Equal(string.Empty, first.GetProperty("delta").GetProperty("content").GetString());

        var finish = chunks[^2].GetProperty("choices")[0];
        Assert.Empty(finish.GetProperty("delta").EnumerateObject());
        Assert.Equal("stop", finish.GetProperty("finish_reason").GetString());

        var usageChunk = chunks[^1];
        Assert.Empty(usageChunk.GetProperty("choices").EnumerateArray());
        var usage = usageChunk.GetProperty("usage");
        Assert.Equal(chunks.Count - 3, usage.GetProperty("completion_tokens").GetInt32());
        Assert.Equal(
            usage.GetProperty("prompt_tokens").GetInt32() + usage.GetProperty("completion_tokens").GetInt32(),
            usage.GetProperty("total_tokens").GetInt32());
    }

    [Theory]
    [InlineData(null)]
    [InlineData(7)]
    public async Task Streamed_deltas_reassemble_exactly_the_non_streamed_reply(int? maxTokens)
    {
        var limit = maxTokens is null ? string.Empty : $",\"max_tokens\":{maxTokens}";
        var (_, whole) = await server.PostJsonAsync("/v1/chat/completions", $$"""{"model":"demo-chat","messages":{{Messages}}{{limit}}}""");
        var (_, payloads) = await StreamAsync($$"""{"model":"demo-chat","messages":{{Messages}},"stream":true{{limit}}}""");

        var chunks = ServerSentEvents.JsonChunks(payloads.SkipLast(1));
        var content = new StringBuilder();
        foreach (var chunk in chunks.Skip(1).SkipLast(2))
        {
            content.Append(chunk.GetProperty("choices")[0].GetProperty("delta").GetProperty("content").GetString());
        }

        var wholeChoice = whole.GetProperty("choices")[0];
        Assert.Equal(wholeChoice.GetProperty("message").GetProperty("content").GetString(), content.ToString());
        Assert.Equal(wholeChoice.GetProperty("finish_reason").GetString(), chunks[^2].GetProperty("choices")[0].GetProperty("finish_reason").GetString());
        Assert.Equal(whole.GetProperty("usage").GetRawText(), chunks[^1].GetProperty("usage").GetRawText());
    }

    [Fact]
    public async Task Include_usage_marks_every_other_chunk_with_null_usage()
    {
        var (_, payloads) = await StreamAsync(
            $$"""{"model":"demo-chat","messages":{{Messages}},"stream":true,"stream_options":{"include_usage":true},"max_tokens":3}""");

        var chunks = ServerSentEvents.JsonChunks(payloads.SkipLast(1));
        Assert.All(chunks.SkipLast(1), c => Assert.Equal(JsonValueKind.Null, c.GetProperty("usage").ValueKind));
        Assert.Equal(3, chunks[^1].GetProperty("usage").GetProperty("completion_tokens").GetInt32());
    }

    [Fact]
    public async Task Streamed_content_chunks_carry_logprobs_when_asked()
    {
        var (_, payloads) = await StreamAsync(
            $$"""{"model":"demo-chat","messages":{{Messages}},"stream":true,"logprobs":true,"top_logprobs":2,"max_tokens":4}""");

        var contentChunks = ServerSentEvents.JsonChunks(payloads.SkipLast(1)).Skip(1).SkipLast(2).ToList();
        Assert.Equal(4, contentChunks.Count);
        Assert.All(contentChunks, chunk =>
        {
            var choice = chunk.GetProperty("choices")[0];
            var entry = Assert.Single(choice.GetProperty("logprobs").GetProperty("content").EnumerateArray());
            Assert.Equal(choice.GetProperty("delta").GetProperty("content").GetString(), entry.GetProperty("token").GetString());
            Assert.Equal(2, entry.GetProperty("top_logprobs").GetArrayLength());
        });
    }

    [Fact]
    public async Task N_choices_are_streamed_with_their_own_index_and_finish_chunk()
    {
        var (_, payloads) = await StreamAsync($$"""{"model":"demo-chat","messages":{{Messages}},"stream":true,"n":2,"max_tokens":2}""");

        var choices = ServerSentEvents.JsonChunks(payloads.SkipLast(1)).SkipLast(1)
            .Select(c => c.GetProperty("choices")[0])
            .ToList();
        Assert.Equal([0, 0, 0, 0, 1, 1, 1, 1], choices.Select(c => c.GetProperty("index").GetInt32()));
        Assert.Equal(2, choices.Count(c => c.GetProperty("finish_reason").ValueKind == JsonValueKind.String));
    }

    private async Task<(HttpResponseMessage Response, List<string> Payloads)> StreamAsync(string json)
    {
        using var content = new StringContent(json, Encoding.UTF8, "application/json");
        var response = await server.Client.PostAsync(new Uri("/v1/chat/completions", UriKind.Relative), content);
        return (response, ServerSentEvents.DataPayloads(await response.Content.ReadAsStringAsync()));
    }
}
