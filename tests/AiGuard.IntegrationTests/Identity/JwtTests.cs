using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using AiGuard.IntegrationTests.Gateway;
using Microsoft.IdentityModel.Tokens;

namespace AiGuard.IntegrationTests.Identity;

/// <summary>Bearer tokens from a real OIDC discovery and JWKS endpoint on loopback, signed with keys made in the test.</summary>
public class JwtTests
{
    private const string Chat = """{"model":"demo-chat","messages":[{"role":"user","content":"hello"}]}""";

    private static async Task<GatewayUnderTest> StartAsync(string upstream, OidcProvider provider, Action<Dictionary<string, string?>>? change = null)
    {
        var settings = GatewaySettings.ForDemo(upstream);
        settings["AiGuard:Policies:llm:RequiredScopes:0"] = "inference";
        settings["AiGuard:Jwt:Authority"] = provider.Issuer;
        settings["AiGuard:Jwt:RequireHttpsMetadata"] = "false";
        settings["AiGuard:Jwt:Audiences:0"] = "aiguard-tests";
        settings["AiGuard:Jwt:DefaultAllowedRoutes:0"] = "*";
        change?.Invoke(settings);
        return await GatewayUnderTest.StartAsync(settings);
    }

    private static HttpRequestMessage Request(string token, string model = "demo-chat") => new(HttpMethod.Post, "/v1/chat/completions")
    {
        Headers = { { "Authorization", "Bearer " + token } },
        Content = new StringContent(Chat.Replace("demo-chat", model, StringComparison.Ordinal), Encoding.UTF8, "application/json"),
    };

    private static async Task<(HttpStatusCode Status, string? Code)> SendAsync(GatewayUnderTest gateway, string token, string model = "demo-chat")
    {
        using var response = await gateway.Client.SendAsync(Request(token, model));
        if (response.IsSuccessStatusCode)
        {
            return (response.StatusCode, null);
        }

        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        return (response.StatusCode, problem.GetProperty("code").GetString());
    }

    private static string Base64Url(string json) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(json));

    [Fact]
    public async Task A_token_from_the_provider_authenticates_the_client_its_claims_describe()
    {
        await using var provider = await OidcProvider.StartAsync();
        await using var upstream = await DemoUpstream.StartAsync();
        await using var gateway = await StartAsync(upstream.Address, provider);

        var accepted = await SendAsync(gateway, provider.Token());
        var otherModel = await SendAsync(gateway, provider.Token(), model: "gpt-4o");
        var noScope = await SendAsync(gateway, provider.Token(claims: new Dictionary<string, object> { ["aiguard_models"] = "demo-*" }));

        Assert.Equal((HttpStatusCode.OK, null), accepted);
        // The models claim is enforced like an API key's AllowedModels, the scope like its Scopes.
        Assert.Equal((HttpStatusCode.Forbidden, "model_not_allowed"), otherModel);
        Assert.Equal((HttpStatusCode.Forbidden, "scope_missing"), noScope);
        var audit = gateway.Audit.Events.First(e => e.Code == "model_not_allowed");
        Assert.Equal("svc-reporting", audit.ClientId);
        Assert.Equal("acme", audit.Tenant);
    }

    [Fact]
    public async Task Tokens_that_must_not_pass_are_refused_with_401()
    {
        await using var provider = await OidcProvider.StartAsync();
        await using var upstream = await DemoUpstream.StartAsync();
        await using var gateway = await StartAsync(upstream.Address, provider);
        var good = provider.Token();
        var parts = good.Split('.');
        var unsigned = Base64Url("""{"alg":"none","typ":"JWT"}""") + "." + parts[1] + ".";
        // HS256 with the provider's public key as the HMAC secret: the classic key-confusion forgery.
        var publicKey = provider.Current.Rsa.ExportSubjectPublicKeyInfo();
        var confused = provider.Token(key: new SymmetricSecurityKey(publicKey), algorithm: SecurityAlgorithms.HmacSha256);

        Assert.Equal((HttpStatusCode.Unauthorized, "expired_token"), await SendAsync(gateway, provider.Token(expires: DateTime.UtcNow.AddMinutes(-5))));
        Assert.Equal((HttpStatusCode.Unauthorized, "invalid_token"), await SendAsync(gateway, provider.Token(audience: "another-service")));
        Assert.Equal((HttpStatusCode.Unauthorized, "invalid_token"), await SendAsync(gateway, provider.Token(issuer: "https://evil.example")));
        Assert.Equal((HttpStatusCode.Unauthorized, "invalid_token"), await SendAsync(gateway, unsigned));
        Assert.Equal((HttpStatusCode.Unauthorized, "invalid_token"), await SendAsync(gateway, confused));
        Assert.Equal((HttpStatusCode.Unauthorized, "invalid_token"), await SendAsync(gateway, provider.Token(key: OidcProvider.NewKey())));
        Assert.Equal((HttpStatusCode.Unauthorized, "invalid_token"), await SendAsync(gateway, parts[0] + "." + parts[1] + "." + parts[2][..^4] + "AAAA"));
        // One audit event per refusal, none naming a client.
        await AiGuard.IntegrationTests.Limits.RateLimitTests.WaitUntil(() => gateway.Audit.Events.Count == 7);
        Assert.All(gateway.Audit.Events, e => Assert.Equal("authenticate", e.Stage));
        Assert.Equal((HttpStatusCode.OK, null), await SendAsync(gateway, good));
    }

    [Fact]
    public async Task A_rolled_key_is_fetched_from_the_provider_and_accepted()
    {
        await using var provider = await OidcProvider.StartAsync();
        await using var upstream = await DemoUpstream.StartAsync();
        await using var gateway = await StartAsync(upstream.Address, provider);
        Assert.Equal((HttpStatusCode.OK, null), await SendAsync(gateway, provider.Token()));

        provider.Roll();
        var rolled = provider.Token();
        var status = HttpStatusCode.Unauthorized;
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(15));
        while (status != HttpStatusCode.OK)
        {
            // The unknown kid makes the gateway refetch the JWKS; the first attempt may still be refused.
            (status, _) = await SendAsync(gateway, rolled);
            if (status != HttpStatusCode.OK)
            {
                await Task.Delay(100, deadline.Token);
            }
        }

        Assert.True(provider.JwksRequests >= 2);
    }

    [Fact]
    public async Task Configured_signing_keys_work_without_a_provider()
    {
        await using var upstream = await DemoUpstream.StartAsync();
        var key = OidcProvider.NewKey();
        var pem = key.Rsa.ExportSubjectPublicKeyInfoPem();
        var settings = GatewaySettings.ForDemo(upstream.Address);
        settings["AiGuard:Jwt:Issuers:0"] = "https://idp.example";
        settings["AiGuard:Jwt:Audiences:0"] = "aiguard-tests";
        settings["AiGuard:Jwt:SigningKeys:0:KeyId"] = key.KeyId;
        settings["AiGuard:Jwt:SigningKeys:0:PublicKeyPem"] = pem;
        settings["AiGuard:Jwt:DefaultAllowedRoutes:0"] = "*";
        await using var gateway = await GatewayUnderTest.StartAsync(settings);
        await using var provider = await OidcProvider.StartAsync();

        Assert.Equal((HttpStatusCode.OK, null), await SendAsync(gateway, provider.Token(issuer: "https://idp.example", key: key)));
        Assert.Equal((HttpStatusCode.Unauthorized, "invalid_token"), await SendAsync(gateway, provider.Token(issuer: "https://idp.example")));
    }
}
