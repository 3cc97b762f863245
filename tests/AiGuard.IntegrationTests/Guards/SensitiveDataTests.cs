using System.Net;
using System.Text;
using System.Text.Json;
using AiGuard.Identity;
using AiGuard.IntegrationTests.Gateway;
using Microsoft.Extensions.DependencyInjection;

namespace AiGuard.IntegrationTests.Guards;

/// <summary>Personal data in prompts on a real gateway; the demo model echoes the start of the last user message, so its answer shows what it received.</summary>
public sealed class SensitiveDataTests
{
    private const string Card = "4111 1111 1111 1111";
    private const string Ssn = "123-45-6789";

    private static async Task<(GatewayUnderTest Gateway, GeneratedApiKey Key)> StartAsync(string upstream)
    {
        var key = ApiKeyFormat.Generate();
        var settings = GatewaySettings.ForDemo(upstream).WithKey(key, 0, "writer");
        settings["AiGuard:Policies:llm:SensitiveData:Actions:CreditCard"] = "Redact";
        settings["AiGuard:Policies:llm:SensitiveData:Actions:Iban"] = "Redact";
        settings["AiGuard:Policies:llm:SensitiveData:Actions:UsSsn"] = "Block";
        settings["AiGuard:Policies:llm:SensitiveData:Actions:Email"] = "Allow";
        return (await GatewayUnderTest.StartAsync(settings), key);
    }

    private static HttpRequestMessage Chat(GeneratedApiKey key, string messages) => new(HttpMethod.Post, "/v1/chat/completions")
    {
        Headers = { { "Authorization", "Bearer " + key.Key } },
        Content = new StringContent($$"""{"model":"demo-chat","max_tokens":40,"messages":{{messages}}}""", Encoding.UTF8, "application/json"),
    };

    private static async Task<(HttpStatusCode Status, JsonElement Body)> SendAsync(GatewayUnderTest gateway, HttpRequestMessage request)
    {
        using var response = await gateway.Client.SendAsync(request);
        return (response.StatusCode, JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.Clone());
    }

    [Fact]
    public async Task Redacted_entities_never_reach_the_model_and_the_audit_event_names_type_and_position_only()
    {
        await using var upstream = await DemoUpstream.StartAsync();
        var (gateway, key) = await StartAsync(upstream.Address);
        await using var _ = gateway;

        var (status, body) = await SendAsync(gateway, Chat(key, $$"""[{"role":"system","content":"IBAN on file: GB82 WEST 1234 5698 7654 32"},{"role":"user","content":"pay {{Card}} and mail a@b.io"}]"""));

        Assert.Equal(HttpStatusCode.OK, status);
        var answer = body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
        Assert.StartsWith("Demo reply to: pay [CREDIT_CARD] and mail a@b.io.", answer, StringComparison.Ordinal);
        await Limits.RateLimitTests.WaitUntil(() => gateway.Audit.Events.Any(e => e.Code == "sensitive_data_redacted"));
        var change = Assert.Single(gateway.Audit.Events, e => e.Code == "sensitive_data_redacted");
        Assert.Equal("modify", change.Decision);
        Assert.Equal("sensitive_data", change.Stage);
        Assert.Matches(@"^messages\[0\]\.content: Iban at 14-41 \(hmac [0-9a-f]{12}\); messages\[1\]\.content: CreditCard at 4-23 \(hmac [0-9a-f]{12}\)$", change.Detail!);
        var trail = JsonSerializer.Serialize(gateway.Audit.Events);
        Assert.DoesNotContain(Card, trail, StringComparison.Ordinal);
        Assert.DoesNotContain("WEST 1234", trail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_conversation_resent_every_turn_is_redacted_every_turn_while_its_long_messages_are_inspected_once()
    {
        await using var upstream = await DemoUpstream.StartAsync();
        var (gateway, key) = await StartAsync(upstream.Address);
        await using var _ = gateway;
        var snapshot = gateway.App.Services.GetRequiredService<AiGuard.Configuration.GatewayConfiguration>().Current;
        Assert.True(snapshot.TryGetPolicy("chat", out var route));
        var cache = route.SensitiveData!.Cache;
        var order = string.Concat(Enumerable.Range(0, 8).Select(i => $"Line {i} of the order: two boxes of paper, one stapler, delivery to the second floor. ")) + $"Charge {Card} for all of it.";
        var turns = new List<object> { new { role = "user", content = order } };

        var (first, _) = await SendAsync(gateway, Chat(key, JsonSerializer.Serialize(turns)));
        turns.Add(new { role = "assistant", content = "Done." });
        turns.Add(new { role = "user", content = $"Use {Card} again next month." });
        var (second, body) = await SendAsync(gateway, Chat(key, JsonSerializer.Serialize(turns)));

        Assert.Equal(HttpStatusCode.OK, first);
        Assert.Equal(HttpStatusCode.OK, second);
        Assert.StartsWith("Demo reply to: Use [CREDIT_CARD] again next month.", body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString(), StringComparison.Ordinal);
        await Limits.RateLimitTests.WaitUntil(() => gateway.Audit.Events.Count(e => e.Code == "sensitive_data_redacted") == 2);
        var changes = gateway.Audit.Events.Where(e => e.Code == "sensitive_data_redacted").Select(e => e.Detail!).ToList();
        var position = order.IndexOf(Card, StringComparison.Ordinal);
        var inOrder = $"messages[0].content: CreditCard at {position}-{position + Card.Length}";
        Assert.All(changes, detail => Assert.StartsWith(inOrder, detail, StringComparison.Ordinal));
        Assert.Contains("messages[2].content: CreditCard at 4-23", changes[1], StringComparison.Ordinal);
        Assert.Equal(1, cache.Misses);
        Assert.Equal(1, cache.Hits);

        // The long message changed (another card in it): inspected afresh, both cards redacted.
        const string other = "5555 5555 5555 4444";
        turns[0] = new { role = "user", content = order + $" Or {other}." };
        var (third, _) = await SendAsync(gateway, Chat(key, JsonSerializer.Serialize(turns)));
        Assert.Equal(HttpStatusCode.OK, third);
        await Limits.RateLimitTests.WaitUntil(() => gateway.Audit.Events.Count(e => e.Code == "sensitive_data_redacted") == 3);
        var last = gateway.Audit.Events.Where(e => e.Code == "sensitive_data_redacted").Last().Detail!;
        var otherAt = order.Length + 4;
        Assert.StartsWith($"{inOrder} (hmac ", last, StringComparison.Ordinal);
        Assert.Contains($"messages[0].content: CreditCard at {otherAt}-{otherAt + other.Length}", last, StringComparison.Ordinal);
        Assert.Equal(2, cache.Misses);
        Assert.Equal(1, cache.Hits);
    }

    [Fact]
    public async Task Content_parts_are_redacted_in_place()
    {
        await using var upstream = await DemoUpstream.StartAsync();
        var (gateway, key) = await StartAsync(upstream.Address);
        await using var _ = gateway;

        var (status, body) = await SendAsync(gateway, Chat(key, $$"""[{"role":"user","content":[{"type":"text","text":"card {{Card}}"},{"type":"text","text":"thanks"}]}]"""));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.StartsWith("Demo reply to: card [CREDIT_CARD]", body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_blocked_entity_is_a_400_naming_field_and_type_with_one_audit_event_and_no_value()
    {
        await using var upstream = await DemoUpstream.StartAsync();
        var (gateway, key) = await StartAsync(upstream.Address);
        await using var _ = gateway;

        var (status, body) = await SendAsync(gateway, Chat(key, $$"""[{"role":"user","content":"my ssn is {{Ssn}}, card {{Card}}"}]"""));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("sensitive_data", body.GetProperty("code").GetString());
        Assert.Equal("messages[0].content", body.GetProperty("error").GetProperty("param").GetString());
        var detail = body.GetProperty("detail").GetString()!;
        Assert.Contains("'messages[0].content' holds a UsSsn (characters 10-21, hmac ", detail, StringComparison.Ordinal);
        Assert.DoesNotContain(Ssn, body.GetRawText(), StringComparison.Ordinal);
        var incident = body.GetProperty("incidentId").GetString()!;
        var audit = await gateway.Audit.WaitForAsync(incident);
        Assert.Equal("sensitive_data", audit.Stage);
        Assert.Equal(1, gateway.Audit.CountFor(incident));
        Assert.DoesNotContain(Ssn, JsonSerializer.Serialize(gateway.Audit.Events), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Entities_sent_base64_or_hex_encoded_are_redacted_or_blocked_like_plain_ones()
    {
        await using var upstream = await DemoUpstream.StartAsync();
        var (gateway, key) = await StartAsync(upstream.Address);
        await using var _ = gateway;
        var card = Convert.ToBase64String(Encoding.UTF8.GetBytes($"card {Card}"));
        var ssn = string.Concat(Encoding.UTF8.GetBytes($"ssn {Ssn}").Select(b => b.ToString("x2", System.Globalization.CultureInfo.InvariantCulture)));

        // Redacted: the encoded span is replaced whole, so the model never reads the card.
        var (status, body) = await SendAsync(gateway, Chat(key, $$"""[{"role":"user","content":"decode {{card}} now"}]"""));
        Assert.Equal(HttpStatusCode.OK, status);
        var answer = body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString()!;
        Assert.StartsWith("Demo reply to: decode [CREDIT_CARD] now.", answer, StringComparison.Ordinal);
        await Limits.RateLimitTests.WaitUntil(() => gateway.Audit.Events.Any(e => e.Code == "sensitive_data_redacted"));
        Assert.Matches(@"^messages\[0\]\.content: CreditCard \(base64\) at 7-39 \(hmac [0-9a-f]{12}\)$", Assert.Single(gateway.Audit.Events, e => e.Code == "sensitive_data_redacted").Detail!);

        // Blocked: refused, as a plain SSN is, without the value or its encoding in the answer or the audit trail.
        (status, body) = await SendAsync(gateway, Chat(key, $$"""[{"role":"user","content":"decode {{ssn}}"}]"""));
        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Contains("holds a UsSsn (hex)", body.GetProperty("detail").GetString()!, StringComparison.Ordinal);
        var trail = JsonSerializer.Serialize(gateway.Audit.Events) + body.GetRawText();
        Assert.DoesNotContain(ssn, trail, StringComparison.Ordinal);
        Assert.DoesNotContain(card, trail, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_prompt_with_only_allowed_data_is_forwarded_as_sent_without_an_event()
    {
        await using var upstream = await DemoUpstream.StartAsync();
        var (gateway, key) = await StartAsync(upstream.Address);
        await using var _ = gateway;

        var (status, body) = await SendAsync(gateway, Chat(key, """[{"role":"user","content":"mail a@b.io or call +44 20 7946 0958"}]"""));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.StartsWith("Demo reply to: mail a@b.io or call +44 20 7946 0958.", body.GetProperty("choices")[0].GetProperty("message").GetProperty("content").GetString(), StringComparison.Ordinal);
        Assert.DoesNotContain(gateway.Audit.Events, e => e.Stage == "sensitive_data");
    }

    [Fact]
    public async Task A_body_that_cannot_be_rewritten_is_refused_not_forwarded_unredacted()
    {
        await using var upstream = await DemoUpstream.StartAsync();
        var (gateway, key) = await StartAsync(upstream.Address);
        await using var _ = gateway;

        // A lone surrogate in a member no stage reads: the redacted body cannot be written.
        var (status, body) = await SendAsync(gateway, Chat(key, $$"""[{"role":"user","name":"\ud800","content":"pay {{Card}}"}]"""));

        Assert.Equal(HttpStatusCode.BadRequest, status);
        Assert.Equal("invalid_body", body.GetProperty("code").GetString());
        Assert.DoesNotContain(Card, JsonSerializer.Serialize(gateway.Audit.Events), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tool_call_arguments_tool_descriptions_their_parameter_schemas_and_refusal_parts_are_redacted_too()
    {
        await using var upstream = new HeaderRecordingUpstream();
        await upstream.StartAsync();
        var (gateway, key) = await StartAsync(upstream.BaseAddress.ToString());
        await using var _ = gateway;
        var request = new HttpRequestMessage(HttpMethod.Post, "/v1/chat/completions")
        {
            Headers = { { "Authorization", "Bearer " + key.Key } },
            Content = new StringContent("""
                {"model":"demo-chat","messages":[
                  {"role":"user","content":"pay it"},
                  {"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"pay","arguments":"{\"card\":\"CARD\"}"}}]},
                  {"role":"assistant","content":[{"type":"refusal","refusal":"not with CARD"}]}],
                 "tools":[{"type":"function","function":{"name":"pay","description":"Pays with the card on file, CARD.","parameters":{"type":"object","properties":{"card.last":{"type":"string","description":"Defaults to CARD."}}}}}]}
                """.Replace("CARD", Card, StringComparison.Ordinal), Encoding.UTF8, "application/json"),
        };

        using var response = await gateway.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var forwarded = Assert.Single(upstream.Bodies);
        Assert.DoesNotContain("1111", forwarded, StringComparison.Ordinal);
        using var body = JsonDocument.Parse(forwarded);
        var root = body.RootElement;
        Assert.Equal("{\"card\":\"[CREDIT_CARD]\"}", root.GetProperty("messages")[1].GetProperty("tool_calls")[0].GetProperty("function").GetProperty("arguments").GetString());
        Assert.Equal("not with [CREDIT_CARD]", root.GetProperty("messages")[2].GetProperty("content")[0].GetProperty("refusal").GetString());
        Assert.Equal("Pays with the card on file, [CREDIT_CARD].", root.GetProperty("tools")[0].GetProperty("function").GetProperty("description").GetString());
        Assert.Equal("Defaults to [CREDIT_CARD].", root.GetProperty("tools")[0].GetProperty("function").GetProperty("parameters").GetProperty("properties").GetProperty("card.last").GetProperty("description").GetString());
    }

    [Fact]
    public async Task The_arguments_of_a_tool_call_the_model_makes_are_redacted_or_block_the_answer()
    {
        await using var upstream = new HeaderRecordingUpstream();
        await upstream.StartAsync();
        upstream.Answer = HeaderRecordingUpstream.ToolCallAnswer("send_email", "{\"to\":\"ops@example.com\",\"body\":\"Card " + Card + " on file\"}");
        var (gateway, key) = await StartAsync(upstream.BaseAddress.ToString());
        await using (gateway)
        {
            var (status, body) = await SendAsync(gateway, Chat(key, """[{"role":"user","content":"mail ops the card on file"}]"""));

            Assert.Equal(HttpStatusCode.OK, status);
            var call = body.GetProperty("choices")[0].GetProperty("message").GetProperty("tool_calls")[0].GetProperty("function");
            Assert.Equal("send_email", call.GetProperty("name").GetString());
            Assert.Equal("{\"to\":\"ops@example.com\",\"body\":\"Card [CREDIT_CARD] on file\"}", call.GetProperty("arguments").GetString());
            await Limits.RateLimitTests.WaitUntil(() => gateway.Audit.Events.Any(e => e.Code == "sensitive_data_redacted"));
            var change = Assert.Single(gateway.Audit.Events, e => e.Code == "sensitive_data_redacted");
            Assert.StartsWith("choices[0].message.tool_calls[0].function.arguments: CreditCard at ", change.Detail, StringComparison.Ordinal);
            Assert.DoesNotContain(Card, JsonSerializer.Serialize(gateway.Audit.Events), StringComparison.Ordinal);
        }

        var blockKey = ApiKeyFormat.Generate();
        var settings = GatewaySettings.ForDemo(upstream.BaseAddress.ToString()).WithKey(blockKey, 0, "writer");
        settings["AiGuard:Policies:llm:SensitiveData:Actions:CreditCard"] = "Block";
        await using var strict = await GatewayUnderTest.StartAsync(settings);
        var (blocked, problem) = await SendAsync(strict, Chat(blockKey, """[{"role":"user","content":"mail ops the card on file"}]"""));

        Assert.Equal(HttpStatusCode.Forbidden, blocked);
        Assert.Equal("sensitive_data_in_response", problem.GetProperty("code").GetString());
        Assert.Equal("choices[0].message.tool_calls[0].function.arguments", problem.GetProperty("error").GetProperty("param").GetString());
        Assert.DoesNotContain("4111", problem.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_streamed_tool_calls_arguments_are_held_back_and_written_out_whole_and_redacted_when_the_choice_finishes()
    {
        await using var upstream = new HeaderRecordingUpstream();
        await upstream.StartAsync();
        var arguments = "{\"to\":\"ops@example.com\",\"body\":\"Card " + Card + " on file\"}";
        string Event(string delta, string finish = "null") =>
            $$"""{"id":"c","object":"chat.completion.chunk","model":"demo-chat","choices":[{"index":0,"delta":{{delta}},"finish_reason":{{finish}}}]}""";
        var events = new List<string>
        {
            Event("""{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"t1","type":"function","function":{"name":"send_email","arguments":""}}]}"""),
        };
        for (var i = 0; i < arguments.Length; i += 5)
        {
            var piece = arguments.Substring(i, Math.Min(5, arguments.Length - i));
            events.Add(Event("""{"tool_calls":[{"index":0,"function":{"arguments":PIECE}}]}""".Replace("PIECE", JsonSerializer.Serialize(piece), StringComparison.Ordinal)));
        }

        events.Add(Event("{}", "\"tool_calls\""));
        upstream.Events = events;
        var (gateway, key) = await StartAsync(upstream.BaseAddress.ToString());
        await using (gateway)
        {
            var request = Chat(key, """[{"role":"user","content":"mail ops the card on file"}]""");
            using var response = await gateway.Client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
            var body = await response.Content.ReadAsStringAsync();

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.DoesNotContain("1111", body, StringComparison.Ordinal);
            var deltas = body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
                .Where(e => e.StartsWith("data: {", StringComparison.Ordinal))
                .Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement.GetProperty("choices")[0].GetProperty("delta").Clone())
                .ToList();
            var received = string.Concat(deltas
                .Where(d => d.TryGetProperty("tool_calls", out _))
                .SelectMany(d => d.GetProperty("tool_calls").EnumerateArray())
                .Select(c => c.GetProperty("function").GetProperty("arguments").GetString()));
            Assert.Equal(arguments.Replace(Card, "[CREDIT_CARD]", StringComparison.Ordinal), received);
            Assert.Equal("send_email", deltas[0].GetProperty("tool_calls")[0].GetProperty("function").GetProperty("name").GetString());
            await Limits.RateLimitTests.WaitUntil(() => gateway.Audit.Events.Any(e => e.Code == "sensitive_data_redacted"));
            Assert.Contains(gateway.Audit.Events, e => e.Detail?.StartsWith("choices[0].delta.tool_calls[0].function.arguments: CreditCard at ", StringComparison.Ordinal) == true);
        }

        var blockKey = ApiKeyFormat.Generate();
        var settings = GatewaySettings.ForDemo(upstream.BaseAddress.ToString()).WithKey(blockKey, 0, "writer");
        settings["AiGuard:Policies:llm:SensitiveData:Actions:CreditCard"] = "Block";
        await using var strict = await GatewayUnderTest.StartAsync(settings);
        using var blocked = await strict.Client.SendAsync(Chat(blockKey, """[{"role":"user","content":"mail ops the card on file"}]"""), HttpCompletionOption.ResponseHeadersRead);
        var cut = await blocked.Content.ReadAsStringAsync();

        // The stream had started (the call's name went out): it is cut with an error event before the call finishes.
        Assert.Contains("event: error", cut, StringComparison.Ordinal);
        Assert.Contains("sensitive_data_in_response", cut, StringComparison.Ordinal);
        Assert.DoesNotContain("\"finish_reason\":\"tool_calls\"", cut, StringComparison.Ordinal);
        Assert.DoesNotContain("1111", cut, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tool_call_arguments_are_read_with_their_json_escapes_resolved_both_ways()
    {
        await using var upstream = new HeaderRecordingUpstream();
        await upstream.StartAsync();
        // \u0034 is "4": the tool reads a card number.
        upstream.Answer = HeaderRecordingUpstream.ToolCallAnswer("pay", "{\"card\":\"\\u0034111 1111 1111 1111\"}");
        var (gateway, key) = await StartAsync(upstream.BaseAddress.ToString());
        await using var _ = gateway;

        var (status, body) = await SendAsync(gateway, Chat(key, """
            [{"role":"user","content":"pay"},
             {"role":"assistant","content":null,"tool_calls":[{"id":"a","type":"function","function":{"name":"pay","arguments":"{\"card\":\"\\u0034111 1111 1111 1111\"}"}}]},
             {"role":"tool","tool_call_id":"a","content":"paid"}]
            """));

        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Equal("{\"card\":\"[CREDIT_CARD]\"}", body.GetProperty("choices")[0].GetProperty("message").GetProperty("tool_calls")[0].GetProperty("function").GetProperty("arguments").GetString());
        var forwarded = Assert.Single(upstream.Bodies);
        using var sent = JsonDocument.Parse(forwarded);
        Assert.Equal("{\"card\":\"[CREDIT_CARD]\"}", sent.RootElement.GetProperty("messages")[1].GetProperty("tool_calls")[0].GetProperty("function").GetProperty("arguments").GetString());
    }

    [Theory]
    [InlineData("legacy")]
    [InlineData("no-delta")]
    [InlineData("no-index")]
    public async Task Streamed_calls_of_other_shapes_are_held_and_written_or_refused_never_passed_unread(string shape)
    {
        await using var upstream = new HeaderRecordingUpstream();
        await upstream.StartAsync();
        const string Arguments = "{\"card\":\"4111 1111 1111 1111\"}";
        static string Event(string choice) => """{"id":"c","object":"chat.completion.chunk","model":"demo-chat","choices":[CHOICE]}""".Replace("CHOICE", choice, StringComparison.Ordinal);
        var pieces = new[] { Arguments[..12], Arguments[12..] };
        upstream.Events = shape switch
        {
            "legacy" =>
            [
                Event("""{"index":0,"delta":{"role":"assistant","function_call":{"name":"pay","arguments":""}}}"""),
                .. pieces.Select(p => Event("""{"index":0,"delta":{"function_call":{"arguments":ARGS}}}""".Replace("ARGS", JsonSerializer.Serialize(p), StringComparison.Ordinal))),
                Event("""{"index":0,"delta":{},"finish_reason":"function_call"}"""),
            ],
            "no-delta" =>
            [
                Event("""{"index":0,"delta":{"role":"assistant","tool_calls":[{"index":0,"id":"t","type":"function","function":{"name":"pay","arguments":""}}]}}"""),
                .. pieces.Select(p => Event("""{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":ARGS}}]}}""".Replace("ARGS", JsonSerializer.Serialize(p), StringComparison.Ordinal))),
                Event("""{"index":0,"finish_reason":"tool_calls"}"""),
            ],
            _ =>
            [
                // Some servers stream each call whole and without an index: it is read whole.
                Event("""{"index":0,"delta":{"role":"assistant","tool_calls":[{"id":"t","type":"function","function":{"name":"pay","arguments":ARGS}}]}}""".Replace("ARGS", JsonSerializer.Serialize(Arguments), StringComparison.Ordinal)),
                Event("""{"index":0,"delta":{},"finish_reason":"tool_calls"}"""),
            ],
        };
        var (gateway, key) = await StartAsync(upstream.BaseAddress.ToString());
        await using var _ = gateway;

        using var response = await gateway.Client.SendAsync(Chat(key, """[{"role":"user","content":"pay"}]"""), HttpCompletionOption.ResponseHeadersRead);
        var body = await response.Content.ReadAsStringAsync();

        Assert.DoesNotContain("4111", body, StringComparison.Ordinal);
        if (shape == "legacy")
        {
            var received = string.Concat(body.Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
                .Where(e => e.StartsWith("data: {", StringComparison.Ordinal))
                .Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement.GetProperty("choices")[0])
                .Where(c => c.TryGetProperty("delta", out var d) && d.TryGetProperty("function_call", out var call) && call.ValueKind == JsonValueKind.Object)
                .Select(c => c.GetProperty("delta").GetProperty("function_call").GetProperty("arguments").GetString()));
            Assert.Equal("{\"card\":\"[CREDIT_CARD]\"}", received);
        }
        else if (shape == "no-index")
        {
            Assert.Contains("[CREDIT_CARD]", body, StringComparison.Ordinal);
            Assert.DoesNotContain("event: error", body, StringComparison.Ordinal);
        }
        else
        {
            // A finishing choice without a delta to carry the held arguments: the stream is cut.
            Assert.Contains("upstream_invalid_response", body, StringComparison.Ordinal);
            Assert.Contains("event: error", body, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Events_of_a_stream_that_do_not_name_their_object_are_still_held_back_as_pieces_of_one()
    {
        await using var upstream = new HeaderRecordingUpstream();
        await upstream.StartAsync();
        var text = "Your card is " + Card + ", thanks.";
        upstream.Events =
        [
            .. Enumerable.Range(0, (text.Length + 4) / 5).Select(i => text.Substring(i * 5, Math.Min(5, text.Length - (i * 5))))
                .Select(piece => """{"id":"c","model":"demo-chat","choices":[{"index":0,"delta":{"content":PIECE}}]}""".Replace("PIECE", JsonSerializer.Serialize(piece), StringComparison.Ordinal)),
            """{"id":"c","model":"demo-chat","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}""",
        ];
        var (gateway, key) = await StartAsync(upstream.BaseAddress.ToString());
        await using var _ = gateway;

        using var response = await gateway.Client.SendAsync(Chat(key, """[{"role":"user","content":"my card?"}]"""), HttpCompletionOption.ResponseHeadersRead);
        var received = string.Concat((await response.Content.ReadAsStringAsync()).Split("\n\n", StringSplitOptions.RemoveEmptyEntries)
            .Where(e => e.StartsWith("data: {", StringComparison.Ordinal))
            .Select(e => JsonDocument.Parse(e["data: ".Length..]).RootElement.GetProperty("choices")[0].GetProperty("delta"))
            .Where(d => d.TryGetProperty("content", out var content) && content.ValueKind == JsonValueKind.String)
            .Select(d => d.GetProperty("content").GetString()));

        Assert.Equal("Your card is [CREDIT_CARD], thanks.", received);
    }
}
