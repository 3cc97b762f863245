using System.Diagnostics.Metrics;
using System.Security.Cryptography;
using System.Text.Json;
using AiGuard.Audit;
using AiGuard.Configuration;
using AiGuard.Identity;
using AiGuard.Limits;
using AiGuard.Pipeline;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Yarp.ReverseProxy.Configuration;
using Yarp.ReverseProxy.Forwarder;
using Yarp.ReverseProxy.Model;

namespace AiGuard.Tests.Pipeline;

/// <summary>The gate before YARP: one configuration per request, authentication, route authorization.</summary>
public class GuardMiddlewareTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 22, 12, 0, 0, TimeSpan.Zero);

    private static readonly GeneratedApiKey Alice = ApiKeyFormat.Generate();
    private static readonly GeneratedApiKey NoScope = ApiKeyFormat.Generate();
    private static readonly GeneratedApiKey OtherRoutes = ApiKeyFormat.Generate();
    private static readonly GeneratedApiKey Expired = ApiKeyFormat.Generate();
    private static readonly GeneratedApiKey Revoked = ApiKeyFormat.Generate();

    private static readonly GatewayConfiguration Configuration = TestGateway.Configuration(Settings());

    private static Dictionary<string, string?> Settings()
    {
        var settings = TestGateway.Settings();
        void Key(int i, GeneratedApiKey key, string client, string route, string? scope, string? expires = null, bool revoked = false)
        {
            settings[$"AiGuard:ApiKeys:Keys:{i}:Id"] = key.Id;
            settings[$"AiGuard:ApiKeys:Keys:{i}:Hash"] = key.Hash;
            settings[$"AiGuard:ApiKeys:Keys:{i}:ClientId"] = client;
            settings[$"AiGuard:ApiKeys:Keys:{i}:Tenant"] = "acme";
            settings[$"AiGuard:ApiKeys:Keys:{i}:AllowedRoutes:0"] = route;
            settings[$"AiGuard:ApiKeys:Keys:{i}:AllowedModels:0"] = "*";
            settings[$"AiGuard:ApiKeys:Keys:{i}:Scopes:0"] = scope ?? "other";
            settings[$"AiGuard:ApiKeys:Keys:{i}:ExpiresAt"] = expires;
            settings[$"AiGuard:ApiKeys:Keys:{i}:Revoked"] = revoked ? "true" : "false";
        }

        Key(0, Alice, "alice", "ch*", "inference");
        Key(1, NoScope, "bob", "chat", scope: null);
        Key(2, OtherRoutes, "carol", "embeddings-*", "inference");
        Key(3, Expired, "dave", "chat", "inference", expires: "2026-01-01T00:00:00Z");
        Key(4, Revoked, "erin", "chat", "inference", revoked: true);
        return settings;
    }

    private sealed class Gate
    {
        public Gate(TimeProvider? time = null, GatewayConfiguration? configuration = null, IMeterFactory? meters = null, JwtAuthenticator? jwt = null)
        {
            (var recorder, Trail, Sink) = TestGateway.Recorder(meters: meters);
            Middleware = new GuardMiddleware(
                context =>
                {
                    NextCalls++;
                    return Task.CompletedTask;
                },
                configuration ?? Configuration,
                recorder,
                time ?? new ManualClock(Now),
                new AuthenticationThrottle(time ?? new ManualClock(Now)),
                new RateLimitMetrics(meters ?? TestGateway.Meters),
                jwt ?? new JwtAuthenticator(new JwtOptions(), TimeProvider.System),
                NullLogger<GuardMiddleware>.Instance);
        }

        public GuardMiddleware Middleware { get; }

        public AuditTrail Trail { get; }

        public RecordingSink Sink { get; }

        public int NextCalls { get; private set; }

        public async Task<AuditEvent> OnlyEventAsync()
        {
            await Trail.StartAsync(CancellationToken.None);
            await Trail.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
            return Assert.Single(Sink.Events);
        }

        public async Task<int> EventCountAsync()
        {
            await Trail.StartAsync(CancellationToken.None);
            await Trail.StopAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(10));
            return Sink.Events.Count;
        }
    }

    private static Endpoint RouteEndpoint(string routeId, params object[] extraMetadata) =>
        new(_ => Task.CompletedTask, new EndpointMetadataCollection([new RouteModel(new RouteConfig { RouteId = routeId, ClusterId = "llm" }, null, HttpTransformer.Empty), .. extraMetadata]), routeId);

    private static DefaultHttpContext Request(Endpoint? endpoint, string? authorization = null, string protocol = "HTTP/1.1")
    {
        var http = new DefaultHttpContext();
        http.Request.Method = "POST";
        http.Request.Path = "/v1/chat/completions";
        http.Request.Protocol = protocol;
        http.Response.Body = new MemoryStream();
        if (authorization is not null)
        {
            http.Request.Headers.Authorization = authorization;
        }

        if (endpoint is not null)
        {
            http.SetEndpoint(endpoint);
        }

        return http;
    }

    private static JsonElement Problem(HttpContext http)
    {
        using var body = JsonDocument.Parse(((MemoryStream)http.Response.Body).ToArray());
        return body.RootElement.Clone();
    }

    [Fact]
    public async Task Request_with_a_valid_bearer_key_goes_on_with_the_client_as_the_user()
    {
        var gate = new Gate();
        var http = Request(RouteEndpoint("chat"), $"Bearer {Alice.Key}");

        await gate.Middleware.InvokeAsync(http);

        Assert.Equal(1, gate.NextCalls);
        Assert.Equal(200, http.Response.StatusCode);
        Assert.Equal("alice", http.User.FindFirst(ClientIdentity.ClaimClientId)!.Value);
        var guard = GuardContext.Get(http)!;
        Assert.Equal("alice", guard.Client!.ClientId);
        Assert.Equal("chat", guard.RouteId);
        Assert.Same(Configuration.Current, guard.Snapshot);
        Assert.Equal(0, await gate.EventCountAsync());
    }

    [Theory]
    [InlineData("bearer {0}")]
    [InlineData("BEARER   {0}  ")]
    [InlineData("{0}")]
    [InlineData("  {0}")]
    public async Task The_key_is_taken_from_authorization_with_or_without_the_bearer_scheme(string format)
    {
        var gate = new Gate();
        var http = Request(RouteEndpoint("chat"), string.Format(System.Globalization.CultureInfo.InvariantCulture, format, Alice.Key));

        await gate.Middleware.InvokeAsync(http);

        Assert.Equal(1, gate.NextCalls);
        Assert.Equal("alice", GuardContext.Get(http)!.Client!.ClientId);
    }

    [Theory]
    [InlineData("{0}")]
    [InlineData(" {0} ")]
    public async Task The_key_may_come_in_the_api_key_header(string format)
    {
        var gate = new Gate();
        var http = Request(RouteEndpoint("chat"));
        http.Request.Headers["x-api-key"] = string.Format(System.Globalization.CultureInfo.InvariantCulture, format, Alice.Key);

        await gate.Middleware.InvokeAsync(http);

        Assert.Equal(1, gate.NextCalls);
    }

    [Fact]
    public async Task Two_authorization_headers_are_one_invalid_key_not_the_first_of_them()
    {
        var gate = new Gate();
        var http = Request(RouteEndpoint("chat"));
        http.Request.Headers.Authorization = new Microsoft.Extensions.Primitives.StringValues([$"Bearer {Alice.Key}", "Bearer other"]);

        await gate.Middleware.InvokeAsync(http);

        Assert.Equal(0, gate.NextCalls);
        Assert.Equal("invalid_api_key", Problem(http).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Two_api_key_headers_are_one_invalid_key_not_the_first_of_them()
    {
        var gate = new Gate();
        var http = Request(RouteEndpoint("chat"));
        http.Request.Headers["x-api-key"] = new Microsoft.Extensions.Primitives.StringValues([Alice.Key, Alice.Key]);

        await gate.Middleware.InvokeAsync(http);

        Assert.Equal(0, gate.NextCalls);
        Assert.Equal("invalid_api_key", Problem(http).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Authorization_header_wins_over_the_api_key_header()
    {
        var gate = new Gate();
        var http = Request(RouteEndpoint("chat"), "Bearer not-a-key");
        http.Request.Headers["x-api-key"] = Alice.Key;

        await gate.Middleware.InvokeAsync(http);

        Assert.Equal(0, gate.NextCalls);
        Assert.Equal(401, http.Response.StatusCode);
    }

    [Fact]
    public async Task Request_without_a_key_gets_401_missing_credentials_and_an_audit_event()
    {
        var gate = new Gate();
        var http = Request(RouteEndpoint("chat"));

        await gate.Middleware.InvokeAsync(http);

        Assert.Equal(0, gate.NextCalls);
        Assert.Equal(401, http.Response.StatusCode);
        Assert.Equal("Bearer realm=\"aiguard\"", http.Response.Headers.WWWAuthenticate.ToString());
        var problem = Problem(http);
        Assert.Equal("missing_credentials", problem.GetProperty("code").GetString());
        Assert.Equal("Send an API key as 'Authorization: Bearer <key>'.", problem.GetProperty("detail").GetString());
        var audit = await gate.OnlyEventAsync();
        Assert.Equal("authenticate", audit.Stage);
        Assert.Equal("missing_credentials", audit.Code);
        Assert.Null(audit.ClientId);
        Assert.Equal("chat", audit.RouteId);
    }

    [Fact]
    public async Task Blank_api_key_header_counts_as_no_key()
    {
        var gate = new Gate();
        var http = Request(RouteEndpoint("chat"));
        http.Request.Headers["x-api-key"] = "   ";

        await gate.Middleware.InvokeAsync(http);

        Assert.Equal("missing_credentials", Problem(http).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Request_with_a_wrong_key_gets_401_invalid_api_key_without_naming_a_key()
    {
        var gate = new Gate();
        var http = Request(RouteEndpoint("chat"), $"Bearer {ApiKeyFormat.Generate().Key}");

        await gate.Middleware.InvokeAsync(http);

        Assert.Equal(0, gate.NextCalls);
        Assert.Equal(401, http.Response.StatusCode);
        var problem = Problem(http);
        Assert.Equal("invalid_api_key", problem.GetProperty("code").GetString());
        Assert.Equal("The API key is not valid.", problem.GetProperty("detail").GetString());
        var audit = await gate.OnlyEventAsync();
        Assert.Equal("authenticate", audit.Stage);
        Assert.Null(audit.KeyId);
    }

    [Fact]
    public async Task Request_with_an_expired_key_gets_401_and_an_audit_event_naming_the_key_id()
    {
        var gate = new Gate();
        var http = Request(RouteEndpoint("chat"), $"Bearer {Expired.Key}");

        await gate.Middleware.InvokeAsync(http);

        Assert.Equal(401, http.Response.StatusCode);
        var problem = Problem(http);
        Assert.Equal("expired_api_key", problem.GetProperty("code").GetString());
        Assert.Equal("The API key has expired.", problem.GetProperty("detail").GetString());
        var audit = await gate.OnlyEventAsync();
        Assert.Equal(Expired.Id, audit.KeyId);
        Assert.Null(audit.ClientId);
    }

    [Fact]
    public async Task Request_with_a_revoked_key_gets_401_and_an_audit_event_naming_the_key_id()
    {
        var gate = new Gate();
        var http = Request(RouteEndpoint("chat"), $"Bearer {Revoked.Key}");

        await gate.Middleware.InvokeAsync(http);

        Assert.Equal(401, http.Response.StatusCode);
        var problem = Problem(http);
        Assert.Equal("revoked_api_key", problem.GetProperty("code").GetString());
        Assert.Equal("The API key has been revoked.", problem.GetProperty("detail").GetString());
        Assert.Equal(Revoked.Id, (await gate.OnlyEventAsync()).KeyId);
    }

    [Fact]
    public async Task Key_not_allowed_on_the_route_gets_403_route_not_allowed_at_authorize()
    {
        var gate = new Gate();
        var http = Request(RouteEndpoint("chat"), $"Bearer {OtherRoutes.Key}");

        await gate.Middleware.InvokeAsync(http);

        Assert.Equal(0, gate.NextCalls);
        Assert.Equal(403, http.Response.StatusCode);
        var problem = Problem(http);
        Assert.Equal("route_not_allowed", problem.GetProperty("code").GetString());
        Assert.Equal("This API key may not use this route.", problem.GetProperty("detail").GetString());
        var audit = await gate.OnlyEventAsync();
        Assert.Equal("authorize", audit.Stage);
        Assert.Equal("carol", audit.ClientId);
    }

    [Fact]
    public async Task Key_without_the_routes_required_scope_gets_403_naming_the_scope()
    {
        var gate = new Gate();
        var http = Request(RouteEndpoint("chat"), $"Bearer {NoScope.Key}");

        await gate.Middleware.InvokeAsync(http);

        Assert.Equal(0, gate.NextCalls);
        Assert.Equal(403, http.Response.StatusCode);
        var problem = Problem(http);
        Assert.Equal("scope_missing", problem.GetProperty("code").GetString());
        Assert.Equal("This route requires the scope 'inference'.", problem.GetProperty("detail").GetString());
        Assert.Equal("authorize", (await gate.OnlyEventAsync()).Stage);
    }

    [Fact]
    public async Task Authenticated_request_that_matched_no_route_gets_404_route_not_found()
    {
        var gate = new Gate();
        var http = Request(endpoint: null, $"Bearer {Alice.Key}");

        await gate.Middleware.InvokeAsync(http);

        Assert.Equal(0, gate.NextCalls);
        Assert.Equal(404, http.Response.StatusCode);
        var problem = Problem(http);
        Assert.Equal("route_not_found", problem.GetProperty("code").GetString());
        Assert.Equal("No AiGuard route matches this method and path.", problem.GetProperty("detail").GetString());
        var audit = await gate.OnlyEventAsync();
        Assert.Equal("route", audit.Stage);
        Assert.Null(audit.RouteId);
    }

    [Fact]
    public async Task Unauthenticated_request_that_matched_no_route_gets_401_not_404()
    {
        var gate = new Gate();
        var http = Request(endpoint: null);

        await gate.Middleware.InvokeAsync(http);

        Assert.Equal(401, http.Response.StatusCode);
        Assert.Equal("authenticate", (await gate.OnlyEventAsync()).Stage);
    }

    [Fact]
    public async Task Route_without_an_aiguard_policy_gets_503_route_policy_missing()
    {
        var gate = new Gate();
        var http = Request(RouteEndpoint("unknown-route"), $"Bearer {Alice.Key}");

        await gate.Middleware.InvokeAsync(http);

        Assert.Equal(0, gate.NextCalls);
        Assert.Equal(503, http.Response.StatusCode);
        var problem = Problem(http);
        Assert.Equal("route_policy_missing", problem.GetProperty("code").GetString());
        Assert.Equal("This route has no AiGuard policy configured.", problem.GetProperty("detail").GetString());
        Assert.Equal("route", (await gate.OnlyEventAsync()).Stage);
    }

    [Fact]
    public async Task Anonymous_gateway_endpoint_is_passed_without_a_key()
    {
        var gate = new Gate();
        var http = Request(new Endpoint(_ => Task.CompletedTask, new EndpointMetadataCollection(new AllowAnonymousAttribute()), "health"));

        await gate.Middleware.InvokeAsync(http);

        Assert.Equal(1, gate.NextCalls);
        Assert.Equal(200, http.Response.StatusCode);
        Assert.Null(GuardContext.Get(http));
    }

    [Fact]
    public async Task A_proxied_route_is_never_anonymous_even_if_marked_so()
    {
        var gate = new Gate();
        var http = Request(RouteEndpoint("chat", new AllowAnonymousAttribute()));

        await gate.Middleware.InvokeAsync(http);

        Assert.Equal(0, gate.NextCalls);
        Assert.Equal(401, http.Response.StatusCode);
    }

    [Fact]
    public async Task An_endpoint_that_is_neither_a_route_nor_anonymous_needs_a_key()
    {
        var gate = new Gate();
        var http = Request(new Endpoint(_ => Task.CompletedTask, EndpointMetadataCollection.Empty, "other"));

        await gate.Middleware.InvokeAsync(http);

        Assert.Equal(0, gate.NextCalls);
        Assert.Equal(401, http.Response.StatusCode);
    }

    [Fact]
    public async Task A_failure_of_the_gate_itself_is_a_500_internal_error_that_reveals_nothing()
    {
        var gate = new Gate(new FailingClock());
        var http = Request(RouteEndpoint("chat"), $"Bearer {Alice.Key}");

        await gate.Middleware.InvokeAsync(http);

        Assert.Equal(0, gate.NextCalls);
        Assert.Equal(500, http.Response.StatusCode);
        var problem = Problem(http);
        Assert.Equal("internal_error", problem.GetProperty("code").GetString());
        Assert.Equal("AiGuard failed to handle this request.", problem.GetProperty("detail").GetString());
        Assert.DoesNotContain("clock", problem.ToString(), StringComparison.OrdinalIgnoreCase);
        var audit = await gate.OnlyEventAsync();
        Assert.Equal("gateway", audit.Stage);
        Assert.Equal("chat", audit.RouteId);
    }

    [Theory]
    [InlineData("HTTP/1.1")]
    [InlineData("HTTP/1.0")]
    [InlineData("HTTP/2")]
    public async Task A_key_revoked_by_a_reload_is_refused_on_the_next_request_of_a_keep_alive_connection(string protocol)
    {
        var settings = Settings();
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
        var gateway = TestGateway.Configuration(configuration);
        var (recorder, _, _) = TestGateway.Recorder();
        var passed = 0;
        var middleware = new GuardMiddleware(_ => { passed++; return Task.CompletedTask; }, gateway, recorder, new ManualClock(Now), new AuthenticationThrottle(TimeProvider.System), new RateLimitMetrics(TestGateway.Meters), new JwtAuthenticator(new JwtOptions(), TimeProvider.System), NullLogger<GuardMiddleware>.Instance);
        var connection = new ConnectionItems();

        var first = Request(RouteEndpoint("chat"), $"Bearer {Alice.Key}", protocol);
        first.Features.Set<IConnectionItemsFeature>(connection);
        await middleware.InvokeAsync(first);

        configuration["AiGuard:ApiKeys:Keys:0:Revoked"] = "true";
        configuration.Reload();
        var second = Request(RouteEndpoint("chat"), $"Bearer {Alice.Key}", protocol);
        second.Features.Set<IConnectionItemsFeature>(connection);
        await middleware.InvokeAsync(second);

        Assert.Equal(1, passed);
        Assert.Equal(200, first.Response.StatusCode);
        Assert.Equal(401, second.Response.StatusCode);
        Assert.Equal("revoked_api_key", Problem(second).GetProperty("code").GetString());
    }

    [Fact]
    public async Task Failed_authentications_from_one_address_are_throttled_with_429_even_for_a_good_key_and_other_addresses_are_not()
    {
        var settings = Settings();
        settings["AiGuard:RateLimits:Authentication:FailuresPerAddress:PermitLimit"] = "2";
        settings["AiGuard:RateLimits:Authentication:FailuresPerAddress:Window"] = "00:01:00";
        settings["AiGuard:RateLimits:Authentication:FailuresPerKeyId:PermitLimit"] = "0";
        var meters = TestGateway.NewMeters();
        using var failures = new MetricCollector<long>(meters, RateLimitMetrics.MeterName, "aiguard.authentication.failures");
        using var throttled = new MetricCollector<long>(meters, RateLimitMetrics.MeterName, "aiguard.authentication.throttled");
        var gate = new Gate(configuration: TestGateway.Configuration(settings), meters: meters);
        var guesser = System.Net.IPAddress.Parse("203.0.113.7");

        DefaultHttpContext From(System.Net.IPAddress address, string key)
        {
            var http = Request(RouteEndpoint("chat"), $"Bearer {key}");
            http.Connection.RemoteIpAddress = address;
            return http;
        }

        var wrong = ApiKeyFormat.Generate().Key;
        var first = From(guesser, wrong);
        var second = From(guesser, wrong);
        var third = From(guesser, Alice.Key);
        var elsewhere = From(System.Net.IPAddress.Parse("198.51.100.2"), Alice.Key);
        foreach (var http in new[] { first, second, third, elsewhere })
        {
            await gate.Middleware.InvokeAsync(http);
        }

        Assert.Equal((401, 401, 429, 200), (first.Response.StatusCode, second.Response.StatusCode, third.Response.StatusCode, elsewhere.Response.StatusCode));
        Assert.Equal(1, gate.NextCalls);
        var problem = Problem(third);
        Assert.Equal("auth_throttled", problem.GetProperty("code").GetString());
        var retryAfter = int.Parse(third.Response.Headers.RetryAfter.ToString(), System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(retryAfter, 1, 60);
        Assert.Equal($"Too many failed authentications from this address or for this key id; retry after {retryAfter} s.", problem.GetProperty("detail").GetString());
        Assert.True(first.Response.Headers.RetryAfter.Count == 0, "a plain 401 has no Retry-After");
        Assert.Equal([ProblemCodes.InvalidApiKey, ProblemCodes.InvalidApiKey], failures.GetMeasurementSnapshot().Select(m => (string)m.Tags["aiguard.code"]!));
        Assert.Equal("failures_per_address", (string)Assert.Single(throttled.GetMeasurementSnapshot()).Tags["aiguard.limit"]!);
        Assert.Equal(3, await gate.EventCountAsync());
    }

    [Fact]
    public async Task Requests_without_credentials_are_throttled_per_address_and_counted()
    {
        var settings = Settings();
        settings["AiGuard:RateLimits:Authentication:UnauthenticatedPerAddress:PermitLimit"] = "1";
        var meters = TestGateway.NewMeters();
        using var failures = new MetricCollector<long>(meters, RateLimitMetrics.MeterName, "aiguard.authentication.failures");
        using var throttled = new MetricCollector<long>(meters, RateLimitMetrics.MeterName, "aiguard.authentication.throttled");
        var gate = new Gate(configuration: TestGateway.Configuration(settings), meters: meters);
        var first = Request(RouteEndpoint("chat"));
        var second = Request(RouteEndpoint("chat"));
        first.Connection.RemoteIpAddress = second.Connection.RemoteIpAddress = System.Net.IPAddress.Parse("203.0.113.9");

        await gate.Middleware.InvokeAsync(first);
        await gate.Middleware.InvokeAsync(second);

        Assert.Equal((401, 429), (first.Response.StatusCode, second.Response.StatusCode));
        var retryAfter = second.Response.Headers.RetryAfter.ToString();
        Assert.Equal($"Too many requests without credentials from this address; retry after {retryAfter} s.", Problem(second).GetProperty("detail").GetString());
        Assert.Equal(ProblemCodes.MissingCredentials, (string)Assert.Single(failures.GetMeasurementSnapshot()).Tags["aiguard.code"]!);
        Assert.Equal("unauthenticated_per_address", (string)Assert.Single(throttled.GetMeasurementSnapshot()).Tags["aiguard.limit"]!);
        Assert.Equal(2, await gate.EventCountAsync());
    }

    [Fact]
    public async Task A_bearer_token_is_validated_on_its_own_path_and_its_refusals_say_why()
    {
        var secret = RandomNumberGenerator.GetBytes(32);
        var jwtSettings = new Dictionary<string, string?>
        {
            ["AiGuard:Jwt:Issuers:0"] = "https://idp.example",
            ["AiGuard:Jwt:Audiences:0"] = "aiguard",
            ["AiGuard:Jwt:SigningKeys:0:KeyId"] = "k1",
            ["AiGuard:Jwt:SigningKeys:0:Secret"] = Convert.ToBase64String(secret),
            ["AiGuard:Jwt:DefaultAllowedRoutes:0"] = "chat",
            ["AiGuard:Jwt:DefaultAllowedModels:0"] = "*",
        };
        var services = new ServiceCollection();
        services.AddLogging();
        JwtAuthenticator.AddTo(services, new ConfigurationBuilder().AddInMemoryCollection(jwtSettings).Build());
        await using var provider = services.BuildServiceProvider();
        var gate = new Gate(jwt: provider.GetRequiredService<JwtAuthenticator>());

        string Token(DateTime expires, byte[] key) => new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = "https://idp.example",
            Audience = "aiguard",
            NotBefore = expires.AddHours(-2),
            Expires = expires,
            Claims = new Dictionary<string, object> { ["sub"] = "svc-reporting", ["scope"] = "inference" },
            SigningCredentials = new(new SymmetricSecurityKey(key) { KeyId = "k1" }, SecurityAlgorithms.HmacSha256),
        });

        async Task<DefaultHttpContext> SendAsync(string token)
        {
            await using var scope = provider.CreateAsyncScope();
            var http = Request(RouteEndpoint("chat"), $"Bearer {token}");
            http.RequestServices = scope.ServiceProvider;
            await gate.Middleware.InvokeAsync(http);
            return http;
        }

        var good = await SendAsync(Token(DateTime.UtcNow.AddMinutes(10), secret));
        var expired = await SendAsync(Token(DateTime.UtcNow.AddHours(-1), secret));
        var forged = await SendAsync(Token(DateTime.UtcNow.AddMinutes(10), RandomNumberGenerator.GetBytes(32)));

        Assert.Equal((200, 401, 401), (good.Response.StatusCode, expired.Response.StatusCode, forged.Response.StatusCode));
        Assert.Equal(1, gate.NextCalls);
        Assert.Equal("svc-reporting", GuardContext.Get(good)!.Client!.ClientId);
        Assert.Equal(("expired_token", "The bearer token has expired."), (Problem(expired).GetProperty("code").GetString(), Problem(expired).GetProperty("detail").GetString()));
        Assert.Equal(
            ("invalid_token", "The bearer token is not valid for this gateway (signature, issuer, audience, algorithm or claims)."),
            (Problem(forged).GetProperty("code").GetString(), Problem(forged).GetProperty("detail").GetString()));
        Assert.Equal(2, await gate.EventCountAsync());
    }

    private sealed class FailingClock : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => throw new InvalidOperationException("clock broke");
    }

    private sealed class ConnectionItems : IConnectionItemsFeature
    {
        public IDictionary<object, object?> Items { get; set; } = new Dictionary<object, object?>();
    }
}
