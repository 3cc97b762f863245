using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace AiGuard.IntegrationTests.Seam;

/// <summary>Streams stay streams through the response phase: events pass as they complete, changes and cuts land on event boundaries.</summary>
[Collection(SeamCollection.Name)]
public class StreamingTests(SeamFixture fixture)
{
    private const string Body = """{"model":"demo-chat","stream":true,"messages":[{"role":"user","content":"hi"}]}""";

    private async Task<(HttpResponseMessage Response, StreamReader Reader)> OpenAsync(params (string Name, string Value)[] headers)
    {
        var request = new HttpRequestMessage(HttpMethod.Post, "/stream/v1/chat/completions") { Content = new StringContent(Body, Encoding.UTF8, "application/json") };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", fixture.Key.Key);
        foreach (var (name, value) in headers)
        {
            request.Headers.Add(name, value);
        }

        var response = await fixture.Gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        return (response, new StreamReader(await response.Content.ReadAsStreamAsync()));
    }

    private static async Task<string?> ReadEventAsync(StreamReader reader)
    {
        var builder = new StringBuilder();
        while (await reader.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(10)) is { } line)
        {
            if (line.Length == 0)
            {
                return builder.ToString();
            }

            builder.Append(line).Append('\n');
        }

        return builder.Length > 0 ? builder.ToString() : null;
    }

    private static async Task<List<string>> ReadAllAsync(StreamReader reader)
    {
        var events = new List<string>();
        while (await ReadEventAsync(reader) is { } e)
        {
            events.Add(e);
        }

        return events;
    }

    private static string Content(string sse)
    {
        using var document = JsonDocument.Parse(sse["data: ".Length..].TrimEnd('\n'));
        var choices = document.RootElement.GetProperty("choices");
        return choices.GetArrayLength() > 0 && choices[0].GetProperty("delta").TryGetProperty("content", out var c) ? c.GetString()! : string.Empty;
    }

    [Fact]
    public async Task The_first_event_reaches_the_client_before_the_upstream_has_sent_the_rest()
    {
        fixture.Streaming.Reset();
        var (response, reader) = await OpenAsync();

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        var first = await ReadEventAsync(reader);
        Assert.Contains("\"role\":\"assistant\"", first, StringComparison.Ordinal);

        fixture.Streaming.Release();
        var rest = await ReadAllAsync(reader);
        Assert.Equal(string.Concat(StreamingUpstream.Words), string.Concat(rest.Where(e => e.StartsWith("data: {", StringComparison.Ordinal)).Select(Content)));
        Assert.Equal("data: [DONE]\n", rest[^1]);
        Assert.False(response.Headers.Contains("X-Powered-By"));
    }

    [Fact]
    public async Task A_stage_changes_text_in_events_split_across_writes()
    {
        fixture.Streaming.Reset();
        fixture.Streaming.Release();
        var (_, reader) = await OpenAsync(("x-test-redact", "secret"));

        var events = await ReadAllAsync(reader);

        var text = string.Concat(events.Where(e => e.StartsWith("data: {", StringComparison.Ordinal)).Select(Content));
        Assert.Equal("Hello [REDACTED] world and [REDACTED] again", text);
        Assert.Equal("data: [DONE]\n", events[^1]);
    }

    [Fact]
    public async Task A_refusal_mid_stream_ends_it_with_one_error_event_and_one_audit_event()
    {
        fixture.Streaming.Reset();
        fixture.Streaming.Release();
        var (response, reader) = await OpenAsync(("x-test-cut-at", "3"));

        var events = await ReadAllAsync(reader);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(4, events.Count);
        Assert.StartsWith("event: error\ndata: ", events[2], StringComparison.Ordinal);
        Assert.Equal("data: [DONE]\n", events[3]);
        using var problem = JsonDocument.Parse(events[2][(events[2].IndexOf("data: ", StringComparison.Ordinal) + 6)..].TrimEnd('\n'));
        Assert.Equal("test_cut", problem.RootElement.GetProperty("code").GetString());
        Assert.Equal("test_cut", problem.RootElement.GetProperty("error").GetProperty("code").GetString());
        var incident = problem.RootElement.GetProperty("incidentId").GetString()!;
        var audit = await fixture.Gateway.Audit.WaitForAsync(incident);
        Assert.Equal("test_stream", audit.Stage);
        Assert.Equal(1, fixture.Gateway.Audit.CountFor(incident));
    }

    [Fact]
    public async Task A_refusal_at_the_first_event_is_a_plain_problem_answer()
    {
        fixture.Streaming.Reset();
        fixture.Streaming.Release();
        var (response, reader) = await OpenAsync(("x-test-cut-at", "1"));

        Assert.Equal((HttpStatusCode)451, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        Assert.Contains("\"code\":\"test_cut\"", await reader.ReadToEndAsync(), StringComparison.Ordinal);
    }
}
