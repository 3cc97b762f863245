using System.Collections.Concurrent;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text;
using AiGuard.Configuration;
using AiGuard.Pipeline;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.IdentityModel.Tokens;

namespace AiGuard.Identity;

/// <summary>
/// Bearer tokens beside API keys: validated by ASP.NET Core's JwtBearer handler (OIDC metadata,
/// JWKS with key rollover, or configured keys; issuer, audience, lifetime, algorithm), once per
/// request and only for tokens that look like a JWT, then mapped to the same
/// <see cref="ClientIdentity"/> an API key gives.
/// </summary>
/// <remarks>
/// A validated token is remembered by its SHA-256 until it expires, so a client sending the same
/// token again costs a hash and a lookup, not a signature check.
/// </remarks>
public sealed class JwtAuthenticator
{
    public const string Scheme = "AiGuardJwt";
    private const string TokenItem = "aiguard.jwt";
    private const int MaxRemembered = 10_000;
    private static readonly string[] DefaultScopeClaims = ["scope", "scp"];

    private readonly JwtOptions _options;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, Remembered> _validated = new(StringComparer.Ordinal);

    public JwtAuthenticator(JwtOptions options, TimeProvider time)
    {
        _options = options;
        _time = time;
    }

    public bool Enabled => _options.Enabled;

    /// <summary>Whether a presented credential is a JWT (three base64url parts) rather than an API key.</summary>
    public static bool LooksLikeJwt(ReadOnlySpan<char> credential) =>
        credential.StartsWith("eyJ", StringComparison.Ordinal) && credential.Count('.') == 2;

    /// <summary>Registers the JwtBearer scheme configured from <c>AiGuard:Jwt</c> (read at start).</summary>
    public static void AddTo(IServiceCollection services, IConfiguration configuration)
    {
        var options = new JwtOptions();
        configuration.GetSection($"{AiGuardOptions.SectionName}:Jwt").Bind(options);
        services.AddSingleton(options);
        services.AddSingleton<JwtAuthenticator>();
        if (!options.Enabled)
        {
            return;
        }

        services.AddAuthentication().AddJwtBearer(Scheme, bearer =>
        {
            bearer.MapInboundClaims = false;
            bearer.RequireHttpsMetadata = options.RequireHttpsMetadata;
            bearer.RefreshOnIssuerKeyNotFound = true;
            if (!string.IsNullOrWhiteSpace(options.Authority))
            {
                bearer.Authority = options.Authority;
            }

            var symmetric = options.SigningKeys.Any(k => !string.IsNullOrEmpty(k.Secret));
            bearer.TokenValidationParameters = new TokenValidationParameters
            {
                ValidateIssuer = true,
                ValidIssuers = options.Issuers.Count > 0 ? options.Issuers : null,
                ValidateAudience = true,
                ValidAudiences = options.Audiences,
                ValidateLifetime = true,
                RequireExpirationTime = true,
                RequireSignedTokens = true,
                ValidateIssuerSigningKey = true,
                ClockSkew = options.ClockSkew,
                IssuerSigningKeys = options.SigningKeys.Select(SigningKey).ToArray(),
                ValidAlgorithms = options.Algorithms.Count > 0 ? options.Algorithms : DefaultAlgorithms(symmetric),
                NameClaimType = options.ClientIdClaim,
            };
            bearer.Events = new JwtBearerEvents
            {
                // The token the gate found (Authorization: Bearer or the key header), not a second parse.
                OnMessageReceived = context =>
                {
                    context.Token = context.HttpContext.Items[TokenItem] as string;
                    return Task.CompletedTask;
                },
            };
        });
    }

    /// <summary>Validates a token and maps it to a client, or says why not.</summary>
    public async ValueTask<ApiKeyValidation> AuthenticateAsync(HttpContext context, string token)
    {
        var hash = Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(token)));
        var now = _time.GetUtcNow();
        if (_validated.TryGetValue(hash, out var remembered))
        {
            if (remembered.Expires + _options.ClockSkew > now)
            {
                return ApiKeyValidation.Success(remembered.Identity, remembered.Principal);
            }

            _validated.TryRemove(hash, out _);
        }

        context.Items[TokenItem] = token;
        AuthenticateResult result;
        try
        {
            result = await context.AuthenticateAsync(Scheme);
        }
        finally
        {
            context.Items.Remove(TokenItem);
        }

        if (!result.Succeeded || result.Principal is not { } principal)
        {
            return ApiKeyValidation.Fail(result.Failure is SecurityTokenExpiredException ? ProblemCodes.ExpiredToken : ProblemCodes.InvalidToken, null);
        }

        var identity = Map(principal);
        if (identity is null)
        {
            return ApiKeyValidation.Fail(ProblemCodes.InvalidToken, null);
        }

        var mapped = identity.ToPrincipal(Scheme);
        if (principal.FindFirst("exp")?.Value is { } exp && long.TryParse(exp, out var seconds))
        {
            if (_validated.Count >= MaxRemembered)
            {
                _validated.Clear();
            }

            _validated[hash] = new Remembered(identity, mapped, DateTimeOffset.FromUnixTimeSeconds(seconds));
        }

        return ApiKeyValidation.Success(identity, mapped);
    }

    private ClientIdentity? Map(ClaimsPrincipal principal)
    {
        var clientId = principal.FindFirst(_options.ClientIdClaim)?.Value;
        if (string.IsNullOrWhiteSpace(clientId))
        {
            return null;
        }

        var scopes = new HashSet<string>(StringComparer.Ordinal);
        IEnumerable<string> scopeClaims = _options.ScopeClaims.Count > 0 ? _options.ScopeClaims : DefaultScopeClaims;
        foreach (var claim in scopeClaims.SelectMany(principal.FindAll))
        {
            scopes.UnionWith(claim.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries));
        }

        return new ClientIdentity(
            clientId,
            "jwt",
            principal.FindFirst(_options.TenantClaim)?.Value is { Length: > 0 } tenant ? tenant : _options.DefaultTenant,
            scopes,
            Values(principal, _options.AllowedRoutesClaim) ?? [.. _options.DefaultAllowedRoutes],
            Values(principal, _options.AllowedModelsClaim) ?? [.. _options.DefaultAllowedModels]);
    }

    private static string[]? Values(ClaimsPrincipal principal, string type)
    {
        var values = principal.FindAll(type).SelectMany(c => c.Value.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)).ToArray();
        return values.Length == 0 ? null : values;
    }

    private static SecurityKey SigningKey(JwtSigningKeyOptions key)
    {
        SecurityKey securityKey;
        if (!string.IsNullOrEmpty(key.Secret))
        {
            securityKey = new SymmetricSecurityKey(Convert.FromBase64String(key.Secret));
        }
        else
        {
            // Validated at start: the PEM is an RSA or EC public key.
            securityKey = PublicKey(key.PublicKeyPem!)!;
        }

        securityKey.KeyId = key.KeyId;
        return securityKey;
    }

    /// <summary>The RSA or EC public key in a PEM text, or null when it holds neither.</summary>
    internal static AsymmetricSecurityKey? PublicKey(string pem)
    {
        var rsa = RSA.Create();
        try
        {
            rsa.ImportFromPem(pem);
            return new RsaSecurityKey(rsa);
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            rsa.Dispose();
        }

        var ec = ECDsa.Create();
        try
        {
            ec.ImportFromPem(pem);
            return new ECDsaSecurityKey(ec);
        }
        catch (Exception ex) when (ex is ArgumentException or CryptographicException)
        {
            ec.Dispose();
            return null;
        }
    }

    private static string[] DefaultAlgorithms(bool symmetric) =>
    [
        SecurityAlgorithms.RsaSha256, SecurityAlgorithms.RsaSha384, SecurityAlgorithms.RsaSha512,
        SecurityAlgorithms.RsaSsaPssSha256, SecurityAlgorithms.RsaSsaPssSha384, SecurityAlgorithms.RsaSsaPssSha512,
        SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.EcdsaSha512,
        .. symmetric ? new[] { SecurityAlgorithms.HmacSha256, SecurityAlgorithms.HmacSha384, SecurityAlgorithms.HmacSha512 } : [],
    ];

    private sealed record Remembered(ClientIdentity Identity, ClaimsPrincipal Principal, DateTimeOffset Expires);
}
