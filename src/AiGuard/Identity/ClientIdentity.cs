using System.Security.Claims;

namespace AiGuard.Identity;

/// <summary>Who is calling: the result of authentication that every later stage reads.</summary>
public sealed record ClientIdentity(
    string ClientId,
    string KeyId,
    string Tenant,
    HashSet<string> Scopes,
    string[] AllowedRoutes,
    string[] AllowedModels)
{
    public const string ClaimClientId = "aiguard:client_id";
    public const string ClaimKeyId = "aiguard:key_id";
    public const string ClaimTenant = "aiguard:tenant";
    public const string ClaimScope = "scope";

    /// <summary>Builds the principal that ASP.NET Core authorization sees.</summary>
    public ClaimsPrincipal ToPrincipal(string authenticationType)
    {
        var claims = new List<Claim>
        {
            new(ClaimTypes.NameIdentifier, ClientId),
            new(ClaimClientId, ClientId),
            new(ClaimKeyId, KeyId),
            new(ClaimTenant, Tenant),
        };
        foreach (var scope in Scopes)
        {
            claims.Add(new Claim(ClaimScope, scope));
        }

        return new ClaimsPrincipal(new ClaimsIdentity(claims, authenticationType));
    }
}
