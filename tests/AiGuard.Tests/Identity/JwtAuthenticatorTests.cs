using System.Security.Cryptography;
using System.Text;
using AiGuard.Identity;
using AiGuard.Pipeline;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AiGuard.Tests.Identity;

/// <summary>
/// Bearer tokens through the real JwtBearer handler, in process: the scheme is registered by
/// <see cref="JwtAuthenticator.AddTo"/> from configuration, tokens are signed with keys made here
/// and every call gets a fresh request context. The handler checks <c>exp</c> and <c>nbf</c>
/// against the system clock (its clock cannot be set from outside), so token times sit whole
/// minutes away from now; the memo of validated tokens reads the authenticator's own clock,
/// which the tests set by hand.
/// </summary>
public class JwtAuthenticatorTests
{
    private const string Issuer = "https://idp.example";
    private const string Audience = "aiguard-tests";

    private static readonly RsaSecurityKey Rsa = new(RSA.Create(2048)) { KeyId = "rsa-1" };
    private static readonly ECDsaSecurityKey Ec = new(ECDsa.Create(ECCurve.NamedCurves.nistP256)) { KeyId = "ec-1" };
    private static readonly SymmetricSecurityKey Hmac = new(RandomNumberGenerator.GetBytes(32)) { KeyId = "hmac-1" };

    /// <summary>Issuer, audience and one RSA public key, nothing else: every other setting keeps its default.</summary>
    private static Dictionary<string, string?> Settings() => new()
    {
        ["AiGuard:Jwt:Issuers:0"] = Issuer,
        ["AiGuard:Jwt:Audiences:0"] = Audience,
        ["AiGuard:Jwt:SigningKeys:0:KeyId"] = Rsa.KeyId,
        ["AiGuard:Jwt:SigningKeys:0:PublicKeyPem"] = Rsa.Rsa.ExportSubjectPublicKeyInfoPem(),
    };

    private static Dictionary<string, string?> Settings(Action<Dictionary<string, string?>> change)
    {
        var settings = Settings();
        change(settings);
        return settings;
    }

    private static void AddSecret(Dictionary<string, string?> settings, int index = 1)
    {
        settings[$"AiGuard:Jwt:SigningKeys:{index}:KeyId"] = Hmac.KeyId;
        settings[$"AiGuard:Jwt:SigningKeys:{index}:Secret"] = Convert.ToBase64String(Hmac.Key);
    }

    /// <summary>A whole second ten minutes from now: the <c>exp</c> of the default token.</summary>
    private static DateTimeOffset InTenMinutes() => DateTimeOffset.FromUnixTimeSeconds(DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 600);

    private static string Token(Action<SecurityTokenDescriptor>? change = null)
    {
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            NotBefore = DateTime.UtcNow.AddMinutes(-5),
            Expires = InTenMinutes().UtcDateTime,
            Claims = new Dictionary<string, object> { ["sub"] = "svc-reporting", ["tenant"] = "acme", ["scope"] = "inference" },
            SigningCredentials = new SigningCredentials(Rsa, SecurityAlgorithms.RsaSha256),
        };
        change?.Invoke(descriptor);
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    private static string Base64Url(string json) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(json));

    /// <summary>The services the gateway registers for bearer tokens, built from the given settings.</summary>
    private sealed class Gate : IDisposable
    {
        private readonly ServiceProvider _services;

        public Gate(IDictionary<string, string?> settings, DateTimeOffset? now = null)
        {
            var configuration = new ConfigurationBuilder().AddInMemoryCollection(settings).Build();
            Clock = new ManualClock(now ?? DateTimeOffset.UtcNow);
            var services = new ServiceCollection();
            services.AddLogging();
            services.AddSingleton<TimeProvider>(Clock);
            JwtAuthenticator.AddTo(services, configuration);
            _services = services.BuildServiceProvider();
            Authenticator = _services.GetRequiredService<JwtAuthenticator>();
        }

        public ManualClock Clock { get; }

        public JwtAuthenticator Authenticator { get; }

        public TokenValidationParameters Validation =>
            _services.GetRequiredService<IOptionsMonitor<JwtBearerOptions>>().Get(JwtAuthenticator.Scheme).TokenValidationParameters;

        public IAuthenticationSchemeProvider? Schemes => _services.GetService<IAuthenticationSchemeProvider>();

        /// <summary>One request: a fresh context and request scope, as the gateway has per request.</summary>
        public async Task<ApiKeyValidation> AuthenticateAsync(string token, HttpContext? context = null)
        {
            await using var scope = _services.CreateAsyncScope();
            context ??= new DefaultHttpContext();
            context.RequestServices = scope.ServiceProvider;
            return await Authenticator.AuthenticateAsync(context, token);
        }

        public void Dispose() => _services.Dispose();
    }

    private static async Task<ApiKeyValidation> AuthenticateAsync(string token, Dictionary<string, string?>? settings = null)
    {
        using var gate = new Gate(settings ?? Settings());
        return await gate.AuthenticateAsync(token);
    }

    private static async Task<string?> RefusalAsync(string token, Dictionary<string, string?>? settings = null)
    {
        var result = await AuthenticateAsync(token, settings);
        Assert.Null(result.Identity);
        return result.FailureCode;
    }

    [Theory]
    [InlineData("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", true)]
    [InlineData("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.", true)]
    [InlineData("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0", false)]
    [InlineData("eyJ.a.b.c", false)]
    [InlineData("agk_Ab12Cd34Ef56_secret.with.dots", false)]
    [InlineData("xyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln", false)]
    [InlineData("", false)]
    public void Only_three_dot_separated_parts_starting_with_a_json_header_look_like_a_token(string credential, bool expected)
    {
        Assert.Equal(expected, JwtAuthenticator.LooksLikeJwt(credential));
    }

    [Fact]
    public async Task Without_keys_or_an_authority_bearer_tokens_are_off_and_no_scheme_is_registered()
    {
        using var gate = new Gate(new Dictionary<string, string?> { ["AiGuard:Jwt:Audiences:0"] = Audience });

        Assert.False(gate.Authenticator.Enabled);
        Assert.Null(gate.Schemes is { } schemes ? await schemes.GetSchemeAsync(JwtAuthenticator.Scheme) : null);
    }

    [Fact]
    public async Task Configured_keys_turn_bearer_tokens_on_under_the_gateway_scheme()
    {
        using var gate = new Gate(Settings());

        Assert.True(gate.Authenticator.Enabled);
        Assert.NotNull(await gate.Schemes!.GetSchemeAsync(JwtAuthenticator.Scheme));
    }

    [Fact]
    public void Hmac_algorithms_are_accepted_only_when_a_secret_is_configured()
    {
        // An empty Secret beside a PEM key (as a configuration file may leave it) is no secret.
        using var rsaOnly = new Gate(Settings(s => s["AiGuard:Jwt:SigningKeys:0:Secret"] = ""));
        using var mixed = new Gate(Settings(s => AddSecret(s)));

        Assert.Equal(
            [
                SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
                SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
                SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
            ],
            rsaOnly.Validation.ValidAlgorithms);
        Assert.Equal(12, mixed.Validation.ValidAlgorithms.Count());
        Assert.Contains(SecurityAlgorithms.HmacSha256, mixed.Validation.ValidAlgorithms);
        Assert.Contains(SecurityAlgorithms.HmacSha384, mixed.Validation.ValidAlgorithms);
        Assert.Contains(SecurityAlgorithms.HmacSha512, mixed.Validation.ValidAlgorithms);
    }

    [Fact]
    public async Task A_token_signed_with_a_configured_key_becomes_the_client_its_claims_name()
    {
        var result = await AuthenticateAsync(Token());

        Assert.True(result.Succeeded);
        var client = result.Identity!;
        Assert.Equal("svc-reporting", client.ClientId);
        Assert.Equal("jwt", client.KeyId);
        Assert.Equal("jwt", result.KeyId);
        Assert.Equal("acme", client.Tenant);
        Assert.Equal(["inference"], client.Scopes);
        // No routes or models claim and no defaults configured: nothing is allowed.
        Assert.Empty(client.AllowedRoutes);
        Assert.Empty(client.AllowedModels);
        Assert.Equal(JwtAuthenticator.Scheme, result.Principal!.Identity!.AuthenticationType);
        Assert.True(result.Principal.Identity.IsAuthenticated);
        Assert.Equal("svc-reporting", result.Principal.FindFirst(ClientIdentity.ClaimClientId)!.Value);
        Assert.Equal("acme", result.Principal.FindFirst(ClientIdentity.ClaimTenant)!.Value);
        Assert.Equal("jwt", result.Principal.FindFirst(ClientIdentity.ClaimKeyId)!.Value);
    }

    [Theory]
    [InlineData(SecurityAlgorithms.RsaSha256)]
    [InlineData(SecurityAlgorithms.RsaSha512)]
    [InlineData(SecurityAlgorithms.RsaSsaPssSha256)]
    public async Task Rsa_tokens_are_accepted_with_the_standard_algorithms(string algorithm)
    {
        Assert.True((await AuthenticateAsync(Token(d => d.SigningCredentials = new SigningCredentials(Rsa, algorithm)))).Succeeded);
    }

    [Fact]
    public async Task An_ec_public_key_verifies_es256_tokens()
    {
        var settings = Settings(s =>
        {
            s["AiGuard:Jwt:SigningKeys:0:KeyId"] = Ec.KeyId;
            s["AiGuard:Jwt:SigningKeys:0:PublicKeyPem"] = Ec.ECDsa.ExportSubjectPublicKeyInfoPem();
        });

        Assert.True((await AuthenticateAsync(Token(d => d.SigningCredentials = new SigningCredentials(Ec, SecurityAlgorithms.EcdsaSha256)), settings)).Succeeded);
        Assert.Equal(ProblemCodes.InvalidToken, await RefusalAsync(Token(), settings));
    }

    [Fact]
    public async Task A_configured_secret_verifies_hs256_tokens_beside_an_rsa_key()
    {
        var settings = Settings(s => AddSecret(s));

        Assert.True((await AuthenticateAsync(Token(d => d.SigningCredentials = new SigningCredentials(Hmac, SecurityAlgorithms.HmacSha256)), settings)).Succeeded);
        Assert.True((await AuthenticateAsync(Token(), settings)).Succeeded);
    }

    [Fact]
    public async Task A_secret_alone_verifies_hs256_tokens()
    {
        var settings = new Dictionary<string, string?>
        {
            ["AiGuard:Jwt:Issuers:0"] = Issuer,
            ["AiGuard:Jwt:Audiences:0"] = Audience,
        };
        AddSecret(settings, index: 0);

        Assert.True((await AuthenticateAsync(Token(d => d.SigningCredentials = new SigningCredentials(Hmac, SecurityAlgorithms.HmacSha256)), settings)).Succeeded);
    }

    [Fact]
    public async Task A_blank_authority_beside_configured_keys_is_no_authority()
    {
        var settings = Settings(s => s["AiGuard:Jwt:Authority"] = "  ");

        Assert.True((await AuthenticateAsync(Token(), settings)).Succeeded);
    }

    [Fact]
    public async Task A_token_past_its_expiry_and_the_clock_skew_is_refused_as_expired()
    {
        var token = Token(d =>
        {
            d.NotBefore = DateTime.UtcNow.AddMinutes(-20);
            d.Expires = DateTime.UtcNow.AddSeconds(-90);
        });

        Assert.Equal(ProblemCodes.ExpiredToken, await RefusalAsync(token));
    }

    [Fact]
    public async Task A_token_expired_by_less_than_the_clock_skew_is_still_accepted()
    {
        // Default skew one minute; configured skew two minutes; no skew at all.
        var thirtySeconds = Token(d => d.Expires = DateTime.UtcNow.AddSeconds(-30));
        var ninetySeconds = Token(d => d.Expires = DateTime.UtcNow.AddSeconds(-90));

        Assert.True((await AuthenticateAsync(thirtySeconds)).Succeeded);
        Assert.True((await AuthenticateAsync(ninetySeconds, Settings(s => s["AiGuard:Jwt:ClockSkew"] = "00:02:00"))).Succeeded);
        Assert.Equal(ProblemCodes.ExpiredToken, await RefusalAsync(thirtySeconds, Settings(s => s["AiGuard:Jwt:ClockSkew"] = "00:00:00")));
    }

    [Fact]
    public async Task A_token_not_yet_valid_beyond_the_clock_skew_is_refused_as_invalid()
    {
        var inThirtySeconds = Token(d => d.NotBefore = DateTime.UtcNow.AddSeconds(30));
        var inTwoMinutes = Token(d => d.NotBefore = DateTime.UtcNow.AddMinutes(2));

        Assert.True((await AuthenticateAsync(inThirtySeconds)).Succeeded);
        Assert.Equal(ProblemCodes.InvalidToken, await RefusalAsync(inTwoMinutes));
    }

    [Fact]
    public async Task A_token_without_an_expiry_is_refused()
    {
        Assert.Equal(ProblemCodes.InvalidToken, await RefusalAsync(Token(d => d.Expires = null)));
    }

    [Fact]
    public async Task A_token_for_another_audience_is_refused()
    {
        Assert.Equal(ProblemCodes.InvalidToken, await RefusalAsync(Token(d => d.Audience = "another-service")));
    }

    [Fact]
    public async Task A_token_from_another_issuer_is_refused()
    {
        Assert.Equal(ProblemCodes.InvalidToken, await RefusalAsync(Token(d => d.Issuer = "https://evil.example")));
    }

    [Fact]
    public async Task An_unsigned_token_is_refused()
    {
        var parts = Token().Split('.');
        var unsigned = Base64Url("""{"alg":"none","typ":"JWT"}""") + "." + parts[1] + ".";

        Assert.Equal(ProblemCodes.InvalidToken, await RefusalAsync(unsigned));
    }

    [Fact]
    public async Task An_hs256_token_keyed_with_the_rsa_public_key_is_refused()
    {
        // The classic key-confusion forgery: the public key's bytes used as the HMAC secret, under its kid.
        var confused = new SymmetricSecurityKey(Rsa.Rsa.ExportSubjectPublicKeyInfo()) { KeyId = Rsa.KeyId };

        Assert.Equal(ProblemCodes.InvalidToken, await RefusalAsync(Token(d => d.SigningCredentials = new SigningCredentials(confused, SecurityAlgorithms.HmacSha256))));
    }

    [Fact]
    public async Task A_token_signed_with_an_unknown_key_is_refused()
    {
        var unknown = new RsaSecurityKey(RSA.Create(2048)) { KeyId = "rsa-2" };

        Assert.Equal(ProblemCodes.InvalidToken, await RefusalAsync(Token(d => d.SigningCredentials = new SigningCredentials(unknown, SecurityAlgorithms.RsaSha256))));
    }

    [Fact]
    public async Task A_token_with_a_tampered_signature_is_refused()
    {
        var parts = Token().Split('.');
        var tampered = parts[0] + "." + parts[1] + "." + parts[2][..^4] + (parts[2].EndsWith("AAAA", StringComparison.Ordinal) ? "BBBB" : "AAAA");

        Assert.Equal(ProblemCodes.InvalidToken, await RefusalAsync(tampered));
    }

    [Fact]
    public async Task An_algorithm_outside_the_default_list_is_refused_even_with_a_good_signature()
    {
        // The XML-DSig name of RSA-SHA256: the key verifies it, but only the JOSE names are accepted.
        var token = Token(d => d.SigningCredentials = new SigningCredentials(Rsa, SecurityAlgorithms.RsaSha256Signature));

        Assert.Equal(ProblemCodes.InvalidToken, await RefusalAsync(token));
    }

    [Fact]
    public async Task Configured_algorithms_replace_the_default_list()
    {
        var settings = Settings(s =>
        {
            AddSecret(s);
            s["AiGuard:Jwt:Algorithms:0"] = SecurityAlgorithms.RsaSha256;
        });

        Assert.True((await AuthenticateAsync(Token(), settings)).Succeeded);
        Assert.Equal(ProblemCodes.InvalidToken, await RefusalAsync(Token(d => d.SigningCredentials = new SigningCredentials(Hmac, SecurityAlgorithms.HmacSha256)), settings));
        Assert.Equal(ProblemCodes.InvalidToken, await RefusalAsync(Token(d => d.SigningCredentials = new SigningCredentials(Rsa, SecurityAlgorithms.RsaSha512)), settings));
    }

    [Fact]
    public async Task A_token_signed_with_another_secret_under_the_configured_kid_is_refused()
    {
        var other = new SymmetricSecurityKey(RandomNumberGenerator.GetBytes(32)) { KeyId = Hmac.KeyId };

        Assert.Equal(ProblemCodes.InvalidToken, await RefusalAsync(Token(d => d.SigningCredentials = new SigningCredentials(other, SecurityAlgorithms.HmacSha256)), Settings(s => AddSecret(s))));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public async Task A_token_without_a_client_id_is_refused(string? subject)
    {
        var token = Token(d =>
        {
            d.Claims.Remove("sub");
            if (subject is not null)
            {
                d.Claims["sub"] = subject;
            }
        });

        Assert.Equal(ProblemCodes.InvalidToken, await RefusalAsync(token));
    }

    [Fact]
    public async Task Scopes_come_from_scope_and_scp_as_strings_or_arrays_with_blanks_dropped()
    {
        var token = Token(d =>
        {
            d.Claims["scope"] = "  inference   chat ";
            d.Claims["scp"] = new[] { "admin", " audit " };
        });

        var client = (await AuthenticateAsync(token)).Identity!;

        Assert.Equal(["admin", "audit", "chat", "inference"], client.Scopes.Order(StringComparer.Ordinal));
    }

    [Fact]
    public async Task Routes_and_models_come_from_their_claims_with_blanks_dropped()
    {
        var token = Token(d =>
        {
            d.Claims["aiguard_routes"] = " chat   embeddings-* ";
            d.Claims["aiguard_models"] = new[] { "demo-*", "gpt-4o  gpt-4o-mini" };
        });
        var settings = Settings(s =>
        {
            s["AiGuard:Jwt:DefaultAllowedRoutes:0"] = "*";
            s["AiGuard:Jwt:DefaultAllowedModels:0"] = "*";
        });

        var client = (await AuthenticateAsync(token, settings)).Identity!;

        Assert.Equal(["chat", "embeddings-*"], client.AllowedRoutes);
        Assert.Equal(["demo-*", "gpt-4o", "gpt-4o-mini"], client.AllowedModels);
    }

    [Fact]
    public async Task Without_the_claims_the_configured_defaults_apply()
    {
        var settings = Settings(s =>
        {
            s["AiGuard:Jwt:DefaultTenant"] = "public";
            s["AiGuard:Jwt:DefaultAllowedRoutes:0"] = "chat";
            s["AiGuard:Jwt:DefaultAllowedModels:0"] = "demo-*";
            s["AiGuard:Jwt:DefaultAllowedModels:1"] = "gpt-4o";
        });
        var token = Token(d =>
        {
            d.Claims.Remove("tenant");
            d.Claims["aiguard_routes"] = " ";
        });

        var client = (await AuthenticateAsync(token, settings)).Identity!;

        Assert.Equal("public", client.Tenant);
        Assert.Equal(["chat"], client.AllowedRoutes);
        Assert.Equal(["demo-*", "gpt-4o"], client.AllowedModels);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public async Task Without_a_tenant_the_client_is_in_the_default_tenant(string? tenant)
    {
        var token = Token(d =>
        {
            d.Claims.Remove("tenant");
            if (tenant is not null)
            {
                d.Claims["tenant"] = tenant;
            }
        });

        Assert.Equal("default", (await AuthenticateAsync(token)).Identity!.Tenant);
    }

    [Fact]
    public async Task Claim_names_can_be_configured()
    {
        var settings = Settings(s =>
        {
            s["AiGuard:Jwt:ClientIdClaim"] = "client_id";
            s["AiGuard:Jwt:TenantClaim"] = "org";
            s["AiGuard:Jwt:ScopeClaims:0"] = "roles";
            s["AiGuard:Jwt:AllowedRoutesClaim"] = "routes";
            s["AiGuard:Jwt:AllowedModelsClaim"] = "models";
        });
        var token = Token(d =>
        {
            d.Claims["client_id"] = "svc-batch";
            d.Claims["org"] = "globex";
            d.Claims["roles"] = "admin";
            d.Claims["routes"] = "chat";
            d.Claims["models"] = "demo-*";
        });

        var client = (await AuthenticateAsync(token, settings)).Identity!;

        Assert.Equal("svc-batch", client.ClientId);
        Assert.Equal("globex", client.Tenant);
        // The configured scope claims replace scope and scp: the token's "scope": "inference" grants nothing here.
        Assert.Equal(["admin"], client.Scopes);
        Assert.Equal(["chat"], client.AllowedRoutes);
        Assert.Equal(["demo-*"], client.AllowedModels);
    }

    [Fact]
    public async Task A_token_seen_again_is_answered_from_memory_until_its_expiry_plus_the_clock_skew()
    {
        var expires = InTenMinutes();
        var token = Token(d => d.Expires = expires.UtcDateTime);
        using var gate = new Gate(Settings(), now: expires.AddMinutes(-10));

        var first = await gate.AuthenticateAsync(token);
        gate.Clock.Now = expires.AddMinutes(-1);
        var second = await gate.AuthenticateAsync(token);
        gate.Clock.Now = expires.AddMinutes(1).AddTicks(-1);
        var lastRemembered = await gate.AuthenticateAsync(token);
        gate.Clock.Now = expires.AddMinutes(1);
        var checkedAgain = await gate.AuthenticateAsync(token);

        Assert.True(first.Succeeded);
        Assert.Same(first.Principal, second.Principal);
        Assert.Same(first.Identity, second.Identity);
        Assert.Same(first.Principal, lastRemembered.Principal);
        // From exp + skew on the token goes through the handler again (which, on the real clock, still accepts it).
        Assert.True(checkedAgain.Succeeded);
        Assert.NotSame(first.Principal, checkedAgain.Principal);
    }

    [Fact]
    public async Task The_memo_holds_several_tokens_at_once()
    {
        var a = Token();
        var b = Token(d => d.Claims["sub"] = "svc-batch");
        using var gate = new Gate(Settings());

        var first = await gate.AuthenticateAsync(a);
        var other = await gate.AuthenticateAsync(b);
        var again = await gate.AuthenticateAsync(a);

        Assert.Equal("svc-batch", other.Identity!.ClientId);
        Assert.Same(first.Principal, again.Principal);
    }

    [Fact]
    public async Task The_memo_is_bounded_and_starts_over_when_full()
    {
        // 10 000 tokens are remembered; the next new one clears the memo. HS256 tokens made by hand keep this fast.
        var header = Base64Url("""{"alg":"HS256","typ":"JWT","kid":"hmac-1"}""");
        var expires = InTenMinutes().ToUnixTimeSeconds();
        string Numbered(int i)
        {
            var signed = header + "." + Base64Url($$"""{"iss":"{{Issuer}}","aud":"{{Audience}}","exp":{{expires}},"sub":"svc-{{i}}"}""");
            return signed + "." + Base64UrlEncoder.Encode(HMACSHA256.HashData(Hmac.Key, Encoding.ASCII.GetBytes(signed)));
        }

        using var gate = new Gate(Settings(s => AddSecret(s)));

        var first = await gate.AuthenticateAsync(Numbered(0));
        for (var i = 1; i < 10_000; i++)
        {
            Assert.True((await gate.AuthenticateAsync(Numbered(i))).Succeeded);
        }

        var stillRemembered = await gate.AuthenticateAsync(Numbered(0));
        Assert.True((await gate.AuthenticateAsync(Numbered(10_000))).Succeeded);
        var forgotten = await gate.AuthenticateAsync(Numbered(0));

        Assert.Same(first.Principal, stillRemembered.Principal);
        Assert.True(forgotten.Succeeded);
        Assert.NotSame(first.Principal, forgotten.Principal);
    }

    [Fact]
    public async Task The_token_is_not_left_behind_in_the_request_items()
    {
        using var gate = new Gate(Settings());
        var accepted = new DefaultHttpContext();
        var refused = new DefaultHttpContext();

        await gate.AuthenticateAsync(Token(), accepted);
        await gate.AuthenticateAsync(Token(d => d.Audience = "another-service"), refused);

        Assert.Empty(accepted.Items);
        Assert.Empty(refused.Items);
    }

    [Fact]
    public async Task The_handler_reads_the_token_it_is_given_not_the_authorization_header()
    {
        using var gate = new Gate(Settings());
        var context = new DefaultHttpContext();
        context.Request.Headers.Authorization = "Bearer " + Token(d => d.Claims["sub"] = "from-the-header");

        var result = await gate.AuthenticateAsync(Token(), context);

        Assert.Equal("svc-reporting", result.Identity!.ClientId);
    }

    [Fact]
    public async Task With_an_authority_the_keys_and_issuer_come_from_its_discovery_document()
    {
        await using var provider = await LoopbackProvider.StartAsync();
        var settings = new Dictionary<string, string?>
        {
            ["AiGuard:Jwt:Authority"] = provider.Issuer,
            ["AiGuard:Jwt:RequireHttpsMetadata"] = "false",
            ["AiGuard:Jwt:Audiences:0"] = Audience,
        };
        using var gate = new Gate(settings);

        var accepted = await gate.AuthenticateAsync(provider.Token());
        var otherIssuer = await gate.AuthenticateAsync(provider.Token(issuer: Issuer));

        Assert.Equal("svc-reporting", accepted.Identity?.ClientId);
        Assert.Equal(ProblemCodes.InvalidToken, otherIssuer.FailureCode);
    }

    /// <summary>A minimal OIDC provider on loopback: a discovery document and a JWKS with the keys made here.</summary>
    private sealed class LoopbackProvider : IAsyncDisposable
    {
        private readonly WebApplication _app;

        private LoopbackProvider(WebApplication app)
        {
            _app = app;
            Issuer = app.Urls.Single().TrimEnd('/');
        }

        public string Issuer { get; }

        public RsaSecurityKey Current { get; } = new(RSA.Create(2048)) { KeyId = "provider-1" };

        public static async Task<LoopbackProvider> StartAsync()
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            var app = builder.Build();
            LoopbackProvider? provider = null;
            app.MapGet("/.well-known/openid-configuration", () => Results.Json(new Dictionary<string, object>
            {
                ["issuer"] = provider!.Issuer,
                ["jwks_uri"] = provider.Issuer + "/jwks",
            }));
            app.MapGet("/jwks", () =>
            {
                var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(provider!.Current.Rsa.ExportParameters(false)) { KeyId = provider.Current.KeyId });
                return Results.Json(new { keys = new[] { new Dictionary<string, string> { ["kty"] = "RSA", ["use"] = "sig", ["alg"] = "RS256", ["kid"] = jwk.Kid, ["n"] = jwk.N, ["e"] = jwk.E } } });
            });
            await app.StartAsync();
            provider = new LoopbackProvider(app);
            return provider;
        }

        public string Token(string? issuer = null) => JwtAuthenticatorTests.Token(d =>
        {
            d.Issuer = issuer ?? Issuer;
            d.SigningCredentials = new SigningCredentials(Current, SecurityAlgorithms.RsaSha256);
        });

        public async ValueTask DisposeAsync()
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
