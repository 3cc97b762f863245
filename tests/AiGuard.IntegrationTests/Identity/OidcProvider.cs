using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace AiGuard.IntegrationTests.Identity;

/// <summary>A real OIDC provider on loopback: discovery document and JWKS, with keys made in the test and rolled on demand.</summary>
public sealed class OidcProvider : IAsyncDisposable
{
    private readonly WebApplication _app;
    private volatile RsaSecurityKey[] _published;

    private OidcProvider(WebApplication app, RsaSecurityKey first)
    {
        _app = app;
        _published = [first];
        Issuer = app.Urls.Single().TrimEnd('/');
        Current = first;
    }

    public string Issuer { get; }

    /// <summary>The key tokens are signed with now.</summary>
    public RsaSecurityKey Current { get; private set; }

    public int JwksRequests;

    public static async Task<OidcProvider> StartAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        OidcProvider? provider = null;
        app.MapGet("/.well-known/openid-configuration", (HttpContext context) => Results.Json(new Dictionary<string, object>
        {
            ["issuer"] = provider!.Issuer,
            ["jwks_uri"] = provider.Issuer + "/jwks",
            ["id_token_signing_alg_values_supported"] = new[] { "RS256" },
        }));
        app.MapGet("/jwks", () =>
        {
            Interlocked.Increment(ref provider!.JwksRequests);
            var keys = provider._published.Select(k =>
            {
                var jwk = JsonWebKeyConverter.ConvertFromRSASecurityKey(new RsaSecurityKey(k.Rsa.ExportParameters(false)) { KeyId = k.KeyId });
                return new Dictionary<string, string> { ["kty"] = "RSA", ["use"] = "sig", ["alg"] = "RS256", ["kid"] = jwk.Kid, ["n"] = jwk.N, ["e"] = jwk.E };
            });
            return Results.Json(new { keys });
        });
        await app.StartAsync();
        provider = new OidcProvider(app, NewKey());
        return provider;
    }

    public static RsaSecurityKey NewKey() => new(RSA.Create(2048)) { KeyId = Guid.NewGuid().ToString("N")[..12] };

    /// <summary>Publishes a new key (and keeps the old one published unless told otherwise); tokens are signed with the new one.</summary>
    public void Roll(bool dropOld = true)
    {
        var next = NewKey();
        _published = dropOld ? [next] : [.. _published, next];
        Current = next;
    }

    public string Token(
        string audience = "aiguard-tests",
        string? issuer = null,
        DateTime? expires = null,
        SecurityKey? key = null,
        string algorithm = SecurityAlgorithms.RsaSha256,
        IDictionary<string, object>? claims = null)
    {
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer ?? Issuer,
            Audience = audience,
            IssuedAt = (expires ?? DateTime.UtcNow.AddMinutes(10)).AddMinutes(-20),
            NotBefore = (expires ?? DateTime.UtcNow.AddMinutes(10)).AddMinutes(-20),
            Expires = expires ?? DateTime.UtcNow.AddMinutes(10),
            Subject = new ClaimsIdentity([new Claim("sub", "svc-reporting")]),
            Claims = claims ?? new Dictionary<string, object> { ["tenant"] = "acme", ["scope"] = "inference", ["aiguard_models"] = "demo-*" },
            SigningCredentials = new SigningCredentials(key ?? Current, algorithm),
        };
        return new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(descriptor);
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
