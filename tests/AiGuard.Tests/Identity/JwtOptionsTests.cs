using System.Security.Cryptography;
using AiGuard.Configuration;
using AiGuard.Identity;
using Microsoft.Extensions.Configuration;

namespace AiGuard.Tests.Identity;

/// <summary>When bearer tokens are on, and what the configuration check accepts and refuses in <c>AiGuard:Jwt</c>.</summary>
public class JwtOptionsTests
{
    private static readonly string RsaPem = RSA.Create(2048).ExportSubjectPublicKeyInfoPem();
    private static readonly string EcPem = ECDsa.Create(ECCurve.NamedCurves.nistP256).ExportSubjectPublicKeyInfoPem();

    /// <summary>The test gateway's settings with a valid key-based <c>AiGuard:Jwt</c> section, changed as the test says.</summary>
    private static IReadOnlyList<string> Errors(Action<Dictionary<string, string?>>? change = null)
    {
        var settings = TestGateway.Settings();
        settings["AiGuard:Jwt:Issuers:0"] = "https://idp.example";
        settings["AiGuard:Jwt:Audiences:0"] = "aiguard";
        settings["AiGuard:Jwt:SigningKeys:0:PublicKeyPem"] = RsaPem;
        change?.Invoke(settings);
        return GatewayConfiguration.Check(new ConfigurationBuilder().AddInMemoryCollection(settings).Build(), TestGateway.Protocols, TestGateway.BuiltInStages, out _);
    }

    private static void UseAuthority(Dictionary<string, string?> settings, string authority)
    {
        settings.Remove("AiGuard:Jwt:Issuers:0");
        settings.Remove("AiGuard:Jwt:SigningKeys:0:PublicKeyPem");
        settings["AiGuard:Jwt:Authority"] = authority;
    }

    [Fact]
    public void Bearer_tokens_are_off_until_an_authority_or_a_signing_key_is_configured()
    {
        Assert.False(new JwtOptions().Enabled);
        Assert.False(new JwtOptions { Authority = " " }.Enabled);
        Assert.True(new JwtOptions { Authority = "https://idp.example" }.Enabled);
        Assert.True(new JwtOptions { SigningKeys = [new JwtSigningKeyOptions { Secret = "c2VjcmV0" }] }.Enabled);
        Assert.True(new JwtOptions { Authority = "https://idp.example", SigningKeys = [new JwtSigningKeyOptions { Secret = "c2VjcmV0" }] }.Enabled);
    }

    [Fact]
    public void Defaults_are_the_documented_ones()
    {
        var options = new JwtOptions();

        Assert.True(options.RequireHttpsMetadata);
        Assert.Equal(TimeSpan.FromMinutes(1), options.ClockSkew);
        Assert.Equal("sub", options.ClientIdClaim);
        Assert.Equal("tenant", options.TenantClaim);
        Assert.Equal("default", options.DefaultTenant);
        Assert.Equal("aiguard_routes", options.AllowedRoutesClaim);
        Assert.Equal("aiguard_models", options.AllowedModelsClaim);
        Assert.Empty(options.DefaultAllowedRoutes);
        Assert.Empty(options.DefaultAllowedModels);
    }

    [Fact]
    public void A_configured_list_of_scope_claims_is_exactly_what_is_configured()
    {
        var options = new JwtOptions();
        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["ScopeClaims:0"] = "roles" }).Build().Bind(options);

        Assert.Equal(["roles"], options.ScopeClaims);
    }

    [Fact]
    public void Signing_keys_with_issuers_and_an_audience_are_valid()
    {
        Assert.Empty(Errors());
        Assert.Empty(Errors(s => s["AiGuard:Jwt:SigningKeys:0:PublicKeyPem"] = EcPem));
        Assert.Empty(Errors(s =>
        {
            s["AiGuard:Jwt:SigningKeys:0:PublicKeyPem"] = null;
            s["AiGuard:Jwt:SigningKeys:0:Secret"] = Convert.ToBase64String(new byte[32]);
        }));
    }

    [Fact]
    public void An_https_authority_needs_no_issuers_or_keys()
    {
        Assert.Empty(Errors(s => UseAuthority(s, "https://idp.example/realms/ml")));
    }

    [Fact]
    public void An_http_authority_is_refused_unless_https_metadata_is_turned_off()
    {
        Assert.Equal(
            ["AiGuard:Jwt:Authority uses http: set AiGuard:Jwt:RequireHttpsMetadata to false only for a provider on loopback."],
            Errors(s => UseAuthority(s, "http://127.0.0.1:8080")));
        Assert.Empty(Errors(s =>
        {
            UseAuthority(s, "http://127.0.0.1:8080");
            s["AiGuard:Jwt:RequireHttpsMetadata"] = "false";
        }));
    }

    [Theory]
    [InlineData("idp.example")]
    [InlineData("ftp://idp.example")]
    public void An_authority_that_is_not_an_http_url_is_refused(string authority)
    {
        Assert.Equal([$"AiGuard:Jwt:Authority '{authority}' is not an absolute http(s) URL."], Errors(s => UseAuthority(s, authority)));
    }

    [Fact]
    public void At_least_one_audience_is_required()
    {
        Assert.Equal(
            ["AiGuard:Jwt:Audiences must name at least one accepted audience: a token for another service must not be accepted here."],
            Errors(s => s.Remove("AiGuard:Jwt:Audiences:0")));
    }

    [Fact]
    public void Without_an_authority_the_issuers_are_required()
    {
        Assert.Equal(["AiGuard:Jwt:Issuers must name the accepted issuers when no Authority is configured."], Errors(s => s.Remove("AiGuard:Jwt:Issuers:0")));
    }

    [Fact]
    public void A_key_needs_exactly_one_of_a_pem_and_a_secret()
    {
        const string message = "AiGuard:Jwt:SigningKeys:0: set exactly one of PublicKeyPem and Secret.";

        Assert.Equal([message], Errors(s => s["AiGuard:Jwt:SigningKeys:0:Secret"] = Convert.ToBase64String(new byte[32])));
        Assert.Equal([message], Errors(s =>
        {
            s.Remove("AiGuard:Jwt:SigningKeys:0:PublicKeyPem");
            s["AiGuard:Jwt:SigningKeys:0:KeyId"] = "k1";
        }));
    }

    [Theory]
    [InlineData("c2VjcmV0")]
    [InlineData("not base64 at all!")]
    public void A_secret_must_be_base64_of_at_least_32_bytes(string secret)
    {
        var errors = Errors(s =>
        {
            s.Remove("AiGuard:Jwt:SigningKeys:0:PublicKeyPem");
            s["AiGuard:Jwt:SigningKeys:0:Secret"] = secret;
        });

        Assert.Equal(["AiGuard:Jwt:SigningKeys:0:Secret must be base64 of at least 32 bytes."], errors);
    }

    [Theory]
    [InlineData("not a pem")]
    [InlineData("-----BEGIN PUBLIC KEY-----\nAAAAAAAA\n-----END PUBLIC KEY-----")]
    [InlineData("-----BEGIN CERTIFICATE-----\nAAAAAAAA\n-----END CERTIFICATE-----")]
    public void A_pem_that_holds_no_rsa_or_ec_public_key_is_refused(string pem)
    {
        Assert.Equal(["AiGuard:Jwt:SigningKeys:0:PublicKeyPem is not a PEM RSA or EC public key."], Errors(s => s["AiGuard:Jwt:SigningKeys:0:PublicKeyPem"] = pem));
        Assert.Null(JwtAuthenticator.PublicKey(pem));
    }

    [Fact]
    public void Rsa_and_ec_public_keys_are_read_as_such()
    {
        Assert.IsType<Microsoft.IdentityModel.Tokens.RsaSecurityKey>(JwtAuthenticator.PublicKey(RsaPem));
        Assert.IsType<Microsoft.IdentityModel.Tokens.ECDsaSecurityKey>(JwtAuthenticator.PublicKey(EcPem));
    }

    [Fact]
    public void Without_an_authority_or_keys_the_section_is_not_checked()
    {
        Assert.Empty(Errors(s =>
        {
            s.Remove("AiGuard:Jwt:Issuers:0");
            s.Remove("AiGuard:Jwt:Audiences:0");
            s.Remove("AiGuard:Jwt:SigningKeys:0:PublicKeyPem");
        }));
    }
}
