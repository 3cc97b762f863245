using System.Net;
using System.Text;
using System.Text.Json;
using AiGuard.Identity;
using static AiGuard.IntegrationTests.Gateway.GatewayFixture;

namespace AiGuard.IntegrationTests.Gateway;

/// <summary>Every bad input gets the right status and problem code, and exactly one matching audit event.</summary>
[Collection(GatewayCollection.Name)]
public class RefusalTests(GatewayFixture gateway)
{
    private const string ChatPath = "/v1/chat/completions";
    private const string Chat = """{"model":"demo-chat","messages":[{"role":"user","content":"hi"}]}""";

    public enum Key
    {
        None,
        Full,
        ChatOnly,
        NoScope,
        Expired,
        Revoked,
        Unknown,
        Garbage,
    }

    public static TheoryData<string, Key, string, string, string, int, string, string> Cases()
    {
        var deep = "{\"x\":" + new string('[', MaxJsonDepth) + new string(']', MaxJsonDepth) + "}";
        var many = "{\"model\":\"demo-chat\",\"stop\":[" + string.Join(",", Enumerable.Repeat("1", MaxJsonElements)) + "]}";
        var big = "{\"model\":\"demo-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"" + new string('a', (int)MaxBodyBytes) + "\"}]}";
        var tensor = """{"inputs":[{"name":"features","shape":[2,4],"datatype":"FP32","data":[1,2,3,4]}]}""";
        var validTensor = """{"inputs":[{"name":"features","shape":[1,4],"datatype":"FP32","data":[1,2,3,4]}]}""";
        return new TheoryData<string, Key, string, string, string, int, string, string>
        {
            // name, key, method, path, body, status, code, stage
            { "no key", Key.None, "POST", ChatPath, Chat, 401, "missing_credentials", "authenticate" },
            { "unknown key", Key.Unknown, "POST", ChatPath, Chat, 401, "invalid_api_key", "authenticate" },
            { "garbage key", Key.Garbage, "POST", ChatPath, Chat, 401, "invalid_api_key", "authenticate" },
            { "expired key", Key.Expired, "POST", ChatPath, Chat, 401, "expired_api_key", "authenticate" },
            { "revoked key", Key.Revoked, "POST", ChatPath, Chat, 401, "revoked_api_key", "authenticate" },
            { "no key on an unknown path", Key.None, "GET", "/nothing/here", string.Empty, 401, "missing_credentials", "authenticate" },
            { "missing scope", Key.NoScope, "POST", ChatPath, Chat, 403, "scope_missing", "authorize" },
            { "route not allowed", Key.ChatOnly, "POST", "/v2/models/demo-classifier/infer", tensor, 403, "route_not_allowed", "authorize" },
            { "other model in body", Key.ChatOnly, "POST", ChatPath, Chat.Replace("demo-chat", "demo-chat-large", StringComparison.Ordinal), 403, "model_not_allowed", "authorize" },
            { "model outside the allow list in path", Key.Full, "POST", "/v2/models/prod-classifier/infer", validTensor, 403, "model_not_allowed", "authorize" },
            { "duplicate model key", Key.ChatOnly, "POST", ChatPath, """{"model":"demo-chat","model":"demo-chat-large","messages":[{"role":"user","content":"hi"}]}""", 400, "malformed_json", "parse" },
            { "malformed json", Key.Full, "POST", ChatPath, """{"model":"demo-chat","messages":[""", 400, "malformed_json", "parse" },
            { "empty body", Key.Full, "POST", ChatPath, string.Empty, 400, "malformed_json", "parse" },
            { "wrong content type", Key.Full, "POST", ChatPath + "#text/plain", Chat, 415, "unsupported_media_type", "parse" },
            { "non utf-8 charset", Key.Full, "POST", ChatPath + "#application/json; charset=utf-16", Chat, 415, "unsupported_media_type", "parse" },
            { "oversized body", Key.Full, "POST", ChatPath, big, 413, "body_too_large", "limits" },
            { "too deep json", Key.Full, "POST", ChatPath, deep, 400, "json_too_deep", "parse" },
            { "too many elements", Key.Full, "POST", ChatPath, many, 400, "json_too_many_elements", "parse" },
            { "missing messages", Key.Full, "POST", ChatPath, """{"model":"demo-chat"}""", 400, "invalid_body", "parse" },
            { "bad role", Key.Full, "POST", ChatPath, """{"model":"demo-chat","messages":[{"role":"god","content":"hi"}]}""", 400, "invalid_body", "parse" },
            { "wrong tensor shape", Key.Full, "POST", "/v2/models/demo-classifier/infer", tensor, 400, "tensor_shape_mismatch", "parse" },
            { "ragged instances", Key.Full, "POST", "/v1/models/demo-classifier:predict", """{"instances":[[1,2,3,4],[1,2]]}""", 400, "invalid_body", "parse" },
            { "unsupported operation", Key.Full, "POST", "/v2/repository/index", "{}", 404, "operation_not_supported", "parse" },
            { "body on a bodiless operation", Key.Full, "GET", "/v2/models/demo-classifier", "{}", 400, "invalid_body", "parse" },
            { "unknown path", Key.Full, "GET", "/nothing/here", string.Empty, 404, "route_not_found", "route" },
            { "wrong method on a route", Key.Full, "DELETE", ChatPath, string.Empty, 404, "route_not_found", "route" },
            { "upstream down", Key.Full, "POST", "/dead" + ChatPath, Chat, 502, "upstream_error", "forward" },
        };
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Bad_request_gets_problem_json_and_one_matching_audit_event(
        string name, Key key, string method, string target, string body, int status, string code, string stage)
    {
        var (path, contentType) = target.Split('#') is [var p, var t] ? (p, t) : (target, "application/json");
        using var request = new HttpRequestMessage(new HttpMethod(method), path);
        if (body.Length > 0 || method == "POST")
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(body));
            request.Content.Headers.TryAddWithoutValidation("Content-Type", contentType);
        }

        var presented = Present(key);
        if (presented is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + presented);
        }

        using var response = await gateway.Client.SendAsync(request);

        Assert.True(status == (int)response.StatusCode, $"{name}: expected {status}, got {(int)response.StatusCode}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = await ReadJsonAsync(response);
        Assert.Equal(code, problem.GetProperty("code").GetString());
        Assert.Equal(status, problem.GetProperty("status").GetInt32());
        var incidentId = problem.GetProperty("incidentId").GetString()!;

        var audit = await gateway.Audit.WaitForAsync(incidentId);
        Assert.Equal(1, gateway.Audit.CountFor(incidentId));
        Assert.Equal("refuse", audit.Decision);
        Assert.Equal(code, audit.Code);
        Assert.Equal(stage, audit.Stage);
        Assert.Equal(status, audit.Status);
        Assert.Equal(path, audit.Path);
        if (presented is not null)
        {
            var serialized = JsonSerializer.Serialize(audit) + await response.Content.ReadAsStringAsync();
            Assert.DoesNotContain(presented, serialized, StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Refusal_after_authentication_names_client_and_route_in_the_audit_event()
    {
        using var response = await gateway.Client.SendAsync(Json(HttpMethod.Post, ChatPath, """{"model":"demo-chat"}""", gateway.Full));
        var problem = await ReadJsonAsync(response);

        var audit = await gateway.Audit.WaitForAsync(problem.GetProperty("incidentId").GetString()!);

        Assert.Equal("full-client", audit.ClientId);
        Assert.Equal(gateway.Full.Id, audit.KeyId);
        Assert.Equal("acme", audit.Tenant);
        Assert.Equal("openai-chat", audit.RouteId);
        Assert.Equal("demo-chat", audit.Model);
        Assert.Equal("messages", audit.Field);
        Assert.Equal("messages", problem.GetProperty("field").GetString());
    }

    [Fact]
    public async Task Refused_tensor_body_names_the_model_from_the_path_in_the_audit_event()
    {
        using var response = await gateway.Client.SendAsync(Json(
            HttpMethod.Post, "/v2/models/demo-classifier/infer", """{"inputs":[{"name":"features","shape":[2,4],"datatype":"FP32","data":[1,2,3,4]}]}""", gateway.Full));
        var problem = await ReadJsonAsync(response);

        var audit = await gateway.Audit.WaitForAsync(problem.GetProperty("incidentId").GetString()!);

        Assert.Equal("tensor_shape_mismatch", audit.Code);
        Assert.Equal("demo-classifier", audit.Model);
    }

    [Fact]
    public async Task Chat_body_refused_before_it_named_a_model_leaves_the_audit_model_empty()
    {
        using var response = await gateway.Client.SendAsync(Json(
            HttpMethod.Post, ChatPath, """{"messages":[{"role":"god","content":"hi"}],"model":"demo-chat"}""", gateway.Full));
        var problem = await ReadJsonAsync(response);

        var audit = await gateway.Audit.WaitForAsync(problem.GetProperty("incidentId").GetString()!);

        Assert.Equal("messages[0].role", audit.Field);
        Assert.Null(audit.Model);
    }

    [Fact]
    public async Task A_card_number_or_email_sent_as_the_model_is_neither_echoed_nor_audited()
    {
        using var response = await gateway.Client.SendAsync(Json(
            HttpMethod.Post, ChatPath, """{"model":"gpt-4111 1111 1111 1111 alice.smith@example.com","messages":[{"role":"user","content":"hi"}]}""", gateway.ChatOnly));
        var text = await response.Content.ReadAsStringAsync();
        var problem = JsonDocument.Parse(text).RootElement;

        var audit = await gateway.Audit.WaitForAsync(problem.GetProperty("incidentId").GetString()!);

        Assert.Equal("model_not_allowed", problem.GetProperty("code").GetString());
        Assert.Equal("This API key may not use the model 'gpt-[CREDIT_CARD] [EMAIL]'.", problem.GetProperty("detail").GetString());
        Assert.Equal("gpt-[CREDIT_CARD] [EMAIL]", audit.Model);
        var everything = text + JsonSerializer.Serialize(audit);
        Assert.DoesNotContain("4111", everything, StringComparison.Ordinal);
        Assert.DoesNotContain("alice.smith", everything, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unauthorized_answer_carries_a_bearer_challenge()
    {
        using var response = await gateway.Client.SendAsync(Json(HttpMethod.Post, ChatPath, Chat, key: null));

        Assert.Equal("Bearer", Assert.Single(response.Headers.WwwAuthenticate).Scheme);
    }

    [Fact]
    public async Task Oversized_chunked_body_without_length_is_refused_with_413()
    {
        using var request = ChunkedChat((int)MaxBodyBytes * 2);

        using var response = await gateway.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
        Assert.Null(request.Content!.Headers.ContentLength);
        Assert.Equal("body_too_large", (await ReadJsonAsync(response)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task A_client_still_sending_an_oversized_chunked_body_receives_its_413_not_a_reset()
    {
        // 8 MiB chunked, more than loopback's socket buffers hold: the gateway refuses after the
        // first MaxBodyBytes while the client is still sending. Closing the connection on unread
        // data would reset it and the client would lose the answer; the rest is read and dropped.
        for (var attempt = 0; attempt < 10; attempt++)
        {
            using var request = ChunkedChat(8 * 1024 * 1024);

            using var response = await gateway.Client.SendAsync(request);

            Assert.Equal(HttpStatusCode.RequestEntityTooLarge, response.StatusCode);
            Assert.Equal("body_too_large", (await ReadJsonAsync(response)).GetProperty("code").GetString());
        }
    }

    /// <summary>A chat request whose message holds <paramref name="characters"/> letters, sent chunked (no Content-Length).</summary>
    private HttpRequestMessage ChunkedChat(int characters)
    {
        var body = Encoding.UTF8.GetBytes("{\"model\":\"demo-chat\",\"messages\":[{\"role\":\"user\",\"content\":\"" + new string('a', characters) + "\"}]}");
        var request = new HttpRequestMessage(HttpMethod.Post, ChatPath) { Content = new StreamContent(new NonSeekableStream(body)) };
        request.Content.Headers.ContentType = new("application/json");
        request.Headers.Authorization = new("Bearer", gateway.Full.Key);
        return request;
    }

    [Fact]
    public async Task Upstream_that_resets_the_connection_gives_502()
    {
        using var request = Json(HttpMethod.Post, ChatPath, Chat, gateway.Full);
        request.Headers.Add("x-demo-fault", "reset");

        using var response = await gateway.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.BadGateway, response.StatusCode);
        Assert.Equal("upstream_error", (await ReadJsonAsync(response)).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Upstream_slower_than_the_cluster_timeout_gives_504()
    {
        using var request = Json(HttpMethod.Post, ChatPath, Chat, gateway.Full);
        request.Headers.Add("x-demo-fault", "slow");
        request.Headers.Add("x-demo-delay-ms", "30000");

        using var response = await gateway.Client.SendAsync(request);

        Assert.Equal(HttpStatusCode.GatewayTimeout, response.StatusCode);
        var problem = await ReadJsonAsync(response);
        Assert.Equal("upstream_timeout", problem.GetProperty("code").GetString());
        Assert.Equal("forward", (await gateway.Audit.WaitForAsync(problem.GetProperty("incidentId").GetString()!)).Stage);
    }

    private string? Present(Key key) => key switch
    {
        Key.None => null,
        Key.Full => gateway.Full.Key,
        Key.ChatOnly => gateway.ChatOnly.Key,
        Key.NoScope => gateway.NoScope.Key,
        Key.Expired => gateway.Expired.Key,
        Key.Revoked => gateway.Revoked.Key,
        Key.Unknown => ApiKeyFormat.Generate().Key,
        Key.Garbage => "not-a-key",
        _ => throw new ArgumentOutOfRangeException(nameof(key)),
    };

    /// <summary>Forces chunked transfer encoding: HttpClient cannot learn the length of this stream.</summary>
    private sealed class NonSeekableStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
