using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using AiGuard.Identity;
using AiGuard.IntegrationTests.Gateway;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace AiGuard.IntegrationTests.Limits;

/// <summary>Request limits and authentication throttling on a real gateway in front of the real demo model.</summary>
public class RateLimitTests
{
    private const string Chat = """{"model":"demo-chat","messages":[{"role":"user","content":"hello"}]}""";
    private const string Infer = """{"inputs":[{"name":"features","shape":[1,4],"datatype":"FP32","data":[5.1,3.5,1.4,0.2]}]}""";

    private static Dictionary<string, string?> Settings(string upstream, params (GeneratedApiKey Key, string Client, string Tenant)[] keys)
    {
        var settings = GatewaySettings.ForDemo(upstream);
        for (var i = 0; i < keys.Length; i++)
        {
            settings.WithKey(keys[i].Key, i, keys[i].Client);
            settings[$"AiGuard:ApiKeys:Keys:{i}:Tenant"] = keys[i].Tenant;
        }

        return settings;
    }

    /// <summary>A gateway whose limits run on a clock the test holds still, so reset times are exact.</summary>
    private static Task<GatewayUnderTest> StartAsync(Dictionary<string, string?> settings, FakeTimeProvider? time = null) =>
        GatewayUnderTest.StartAsync(settings, builder => builder.Services.AddSingleton<TimeProvider>(time ?? new FakeTimeProvider(DateTimeOffset.UtcNow)));

    private static HttpRequestMessage ChatRequest(GeneratedApiKey key) => new(HttpMethod.Post, "/v1/chat/completions")
    {
        Headers = { { "Authorization", "Bearer " + key.Key } },
        Content = new StringContent(Chat, Encoding.UTF8, "application/json"),
    };

    private static string Header(HttpResponseMessage response, string name) =>
        response.Headers.TryGetValues(name, out var values) ? string.Join(", ", values) : string.Empty;

    [Fact]
    public async Task A_client_limit_admits_its_quota_with_RateLimit_headers_then_refuses_with_429_and_one_audit_event()
    {
        await using var upstream = await DemoUpstream.StartAsync();
        var (alice, bob) = (ApiKeyFormat.Generate(), ApiKeyFormat.Generate());
        var settings = Settings(upstream.Address, (alice, "alice", "acme"), (bob, "bob", "acme"));
        settings["AiGuard:RateLimits:Policies:per-client:PermitLimit"] = "3";
        settings["AiGuard:RateLimits:Policies:per-client:Window"] = "01:00:00";
        settings["AiGuard:Policies:llm:RateLimits:0"] = "per-client";
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        await using var gateway = await StartAsync(settings, time);

        var remaining = new List<string>();
        for (var i = 0; i < 3; i++)
        {
            using var ok = await gateway.Client.SendAsync(ChatRequest(alice));
            Assert.Equal(HttpStatusCode.OK, ok.StatusCode);
            Assert.Equal("\"per-client\";q=3;w=3600", Header(ok, "RateLimit-Policy"));
            remaining.Add(Header(ok, "RateLimit"));
        }

        using var refused = await gateway.Client.SendAsync(ChatRequest(alice));
        using var other = await gateway.Client.SendAsync(ChatRequest(bob));

        Assert.Equal(["\"per-client\";r=2;t=3600", "\"per-client\";r=1;t=3600", "\"per-client\";r=0;t=3600"], remaining);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("application/problem+json", refused.Content.Headers.ContentType?.MediaType);
        Assert.Equal("3600", Header(refused, "Retry-After"));
        Assert.Equal("\"per-client\";r=0;t=3600", Header(refused, "RateLimit"));
        var problem = await refused.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("rate_limited", problem.GetProperty("code").GetString());
        Assert.Contains("'per-client' (3 requests per 1 h per client)", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        Assert.Equal("rate_limit_error", problem.GetProperty("error").GetProperty("type").GetString());
        var incident = problem.GetProperty("incidentId").GetString()!;
        Assert.Equal(incident, Header(refused, "AiGuard-Incident-Id"));
        var audit = await gateway.Audit.WaitForAsync(incident);
        Assert.Equal(1, gateway.Audit.CountFor(incident));
        Assert.Equal("rate_limit", audit.Stage);
        Assert.Equal("rate_limited", audit.Code);
        Assert.Equal("alice", audit.ClientId);

        // Another client has a counter of its own.
        Assert.Equal(HttpStatusCode.OK, other.StatusCode);
        Assert.Equal("\"per-client\";r=2;t=3600", Header(other, "RateLimit"));

        // A new window, a new quota.
        time.Advance(TimeSpan.FromHours(1));
        using var later = await gateway.Client.SendAsync(ChatRequest(alice));
        Assert.Equal(HttpStatusCode.OK, later.StatusCode);
        Assert.Equal("\"per-client\";r=2;t=3600", Header(later, "RateLimit"));
    }

    [Fact]
    public async Task A_tenant_limit_is_shared_by_its_clients_and_a_refused_request_costs_the_client_nothing()
    {
        await using var upstream = await DemoUpstream.StartAsync();
        var (alice, bob) = (ApiKeyFormat.Generate(), ApiKeyFormat.Generate());
        var settings = Settings(upstream.Address, (alice, "alice", "acme"), (bob, "bob", "acme"));
        settings["AiGuard:RateLimits:Policies:client:PermitLimit"] = "10";
        settings["AiGuard:RateLimits:Policies:client:Window"] = "01:00:00";
        settings["AiGuard:RateLimits:Policies:tenant:Kind"] = "SlidingWindow";
        settings["AiGuard:RateLimits:Policies:tenant:PartitionBy:0"] = "Tenant";
        settings["AiGuard:RateLimits:Policies:tenant:PermitLimit"] = "2";
        settings["AiGuard:RateLimits:Policies:tenant:Window"] = "01:00:00";
        settings["AiGuard:Policies:llm:RateLimits:0"] = "client";
        settings["AiGuard:Policies:llm:RateLimits:1"] = "tenant";
        await using var gateway = await StartAsync(settings);

        using var first = await gateway.Client.SendAsync(ChatRequest(alice));
        using var second = await gateway.Client.SendAsync(ChatRequest(bob));
        using var third = await gateway.Client.SendAsync(ChatRequest(alice));

        Assert.Equal(HttpStatusCode.OK, first.StatusCode);
        Assert.Equal(HttpStatusCode.OK, second.StatusCode);
        Assert.Equal("\"client\";q=10;w=3600, \"tenant\";q=2;w=3600", Header(second, "RateLimit-Policy"));
        Assert.Equal("\"client\";r=9;t=3600, \"tenant\";r=0;t=3600", Header(second, "RateLimit"));
        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        var problem = await third.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Contains("'tenant'", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
        // Alice's own permit was given back: the header still shows nine left.
        Assert.Equal("\"client\";r=9;t=3600, \"tenant\";r=0;t=3600", Header(third, "RateLimit"));
        Assert.Equal("3600", Header(third, "Retry-After"));
    }

    [Fact]
    public async Task Two_hundred_concurrent_requests_at_a_limit_of_fifty_admit_exactly_fifty()
    {
        await using var upstream = await DemoUpstream.StartAsync();
        var key = ApiKeyFormat.Generate();
        var settings = Settings(upstream.Address, (key, "burst", "acme"));
        settings["AiGuard:RateLimits:Policies:fifty:PermitLimit"] = "50";
        settings["AiGuard:RateLimits:Policies:fifty:Window"] = "01:00:00";
        settings["AiGuard:Policies:tensors:RateLimits:0"] = "fifty";
        await using var gateway = await StartAsync(settings);
        using var client = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = 64 }) { BaseAddress = gateway.Address };

        var statuses = await Task.WhenAll(Enumerable.Range(0, 200).Select(async _ =>
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/v2/models/demo-classifier/infer")
            {
                Headers = { { "Authorization", "Bearer " + key.Key } },
                Content = new StringContent(Infer, Encoding.UTF8, "application/json"),
            };
            using var response = await client.SendAsync(request);
            return response.StatusCode;
        }));

        Assert.Equal(50, statuses.Count(s => s == HttpStatusCode.OK));
        Assert.Equal(150, statuses.Count(s => s == HttpStatusCode.TooManyRequests));
        await WaitUntil(() => gateway.Audit.Events.Count(e => e.Code == "rate_limited") == 150);
        Assert.Equal(150, gateway.Audit.Events.Count);
    }

    [Fact]
    public async Task A_concurrency_limit_holds_a_permit_until_the_answer_is_sent()
    {
        await using var upstream = await BlockingUpstream.StartAsync();
        var key = ApiKeyFormat.Generate();
        var settings = Settings(upstream.Address, (key, "slow", "acme"));
        settings["AiGuard:RateLimits:Policies:two-at-once:Kind"] = "Concurrency";
        settings["AiGuard:RateLimits:Policies:two-at-once:PermitLimit"] = "2";
        settings["AiGuard:Policies:llm:RateLimits:0"] = "two-at-once";
        await using var gateway = await StartAsync(settings);

        var held = new[] { gateway.Client.SendAsync(ChatRequest(key)), gateway.Client.SendAsync(ChatRequest(key)) };
        await WaitUntil(() => upstream.Arrived == 2);
        using var third = await gateway.Client.SendAsync(ChatRequest(key));
        upstream.Release();
        var answers = await Task.WhenAll(held);
        using var after = await gateway.Client.SendAsync(ChatRequest(key));

        Assert.Equal(HttpStatusCode.TooManyRequests, third.StatusCode);
        Assert.Equal("\"two-at-once\";q=2", Header(third, "RateLimit-Policy"));
        Assert.Equal("\"two-at-once\";r=0", Header(third, "RateLimit"));
        Assert.All(answers, a => Assert.Equal(HttpStatusCode.OK, a.StatusCode));
        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Equal("\"two-at-once\";r=1", Header(after, "RateLimit"));
        foreach (var answer in answers)
        {
            answer.Dispose();
        }
    }

    [Fact]
    public async Task Failed_authentication_is_throttled_per_address_and_other_addresses_are_not_slowed()
    {
        await using var upstream = await DemoUpstream.StartAsync();
        var key = ApiKeyFormat.Generate();
        var settings = Settings(upstream.Address, (key, "good", "acme"));
        settings["AiGuard:RateLimits:Authentication:FailuresPerAddress:PermitLimit"] = "3";
        settings["AiGuard:RateLimits:Authentication:FailuresPerKeyId:PermitLimit"] = "0";
        await using var gateway = await StartAsync(settings);
        using var guesser = From(gateway, "127.0.0.1");
        using var elsewhere = From(gateway, "127.0.0.2");

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 4; i++)
        {
            using var guess = await guesser.SendAsync(ChatRequest(ApiKeyFormat.Generate()));
            statuses.Add(guess.StatusCode);
        }

        // Even the right key waits while its address is throttled: the guess rate is what is limited.
        using var rightKeySameAddress = await guesser.SendAsync(ChatRequest(key));
        using var otherAddress = await elsewhere.SendAsync(ChatRequest(key));

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests], statuses);
        Assert.Equal(HttpStatusCode.TooManyRequests, rightKeySameAddress.StatusCode);
        Assert.Equal("60", Header(rightKeySameAddress, "Retry-After"));
        var problem = await rightKeySameAddress.Content.ReadFromJsonAsync<JsonElement>();
        Assert.Equal("auth_throttled", problem.GetProperty("code").GetString());
        var audit = await gateway.Audit.WaitForAsync(problem.GetProperty("incidentId").GetString()!);
        Assert.Equal("authenticate", audit.Stage);
        Assert.Equal(HttpStatusCode.OK, otherAddress.StatusCode);
    }

    [Fact]
    public async Task Failures_for_one_key_id_from_many_addresses_hold_that_key_id_back()
    {
        await using var upstream = await DemoUpstream.StartAsync();
        var key = ApiKeyFormat.Generate();
        var settings = Settings(upstream.Address, (key, "target", "acme"));
        settings["AiGuard:RateLimits:Authentication:FailuresPerKeyId:PermitLimit"] = "2";
        await using var gateway = await StartAsync(settings);
        ApiKeyFormat.TryParse(key.Key, out string prefix, out string id);
        var wrongSecret = $"{prefix}_{id}_{new string('A', key.Key.Length - prefix.Length - id.Length - 2)}";

        foreach (var address in new[] { "127.0.0.2", "127.0.0.3" })
        {
            using var client = From(gateway, address);
            using var guess = await client.SendAsync(ChatRequest(new GeneratedApiKey(wrongSecret, id, key.Hash)));
            Assert.Equal(HttpStatusCode.Unauthorized, guess.StatusCode);
        }

        using var fresh = From(gateway, "127.0.0.4");
        using var held = await fresh.SendAsync(ChatRequest(key));
        using var otherKey = await fresh.SendAsync(ChatRequest(ApiKeyFormat.Generate()));

        Assert.Equal(HttpStatusCode.TooManyRequests, held.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, otherKey.StatusCode);
    }

    [Fact]
    public async Task Requests_without_credentials_have_their_own_per_address_limit()
    {
        await using var upstream = await DemoUpstream.StartAsync();
        var settings = Settings(upstream.Address, (ApiKeyFormat.Generate(), "c", "t"));
        settings["AiGuard:RateLimits:Authentication:UnauthenticatedPerAddress:PermitLimit"] = "2";
        await using var gateway = await StartAsync(settings);

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 3; i++)
        {
            using var response = await gateway.Client.PostAsync("/v1/chat/completions", new StringContent(Chat, Encoding.UTF8, "application/json"));
            statuses.Add(response.StatusCode);
        }

        Assert.Equal([HttpStatusCode.Unauthorized, HttpStatusCode.Unauthorized, HttpStatusCode.TooManyRequests], statuses);
    }

    /// <summary>A client whose connections leave from one loopback address (Linux routes all of 127/8 to lo).</summary>
    private static HttpClient From(GatewayUnderTest gateway, string address) => new(new SocketsHttpHandler
    {
        ConnectCallback = async (context, cancellationToken) =>
        {
            var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                socket.Bind(new IPEndPoint(IPAddress.Parse(address), 0));
                await socket.ConnectAsync(context.DnsEndPoint, cancellationToken);
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        },
    })
    { BaseAddress = gateway.Address };

    /// <summary>Sends <paramref name="count"/> requests at once, alternating between two replicas; returns their statuses.</summary>
    internal static async Task<HttpStatusCode[]> FireAtReplicasAsync(GatewayUnderTest one, GatewayUnderTest two, int count, Func<HttpRequestMessage> request, Func<Task>? whileInFlight = null)
    {
        using var clientOne = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = count }) { BaseAddress = one.Address };
        using var clientTwo = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = count }) { BaseAddress = two.Address };
        var sent = Enumerable.Range(0, count).Select(async i =>
        {
            using var response = await (i % 2 == 0 ? clientOne : clientTwo).SendAsync(request());
            return response.StatusCode;
        }).ToArray();
        if (whileInFlight is not null)
        {
            await whileInFlight();
        }

        return await Task.WhenAll(sent);
    }

    internal static async Task WaitUntil(Func<bool> condition)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}
