using System.Text.Encodings.Web;
using AiGuard.Pipeline;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace AiGuard.Identity;

/// <summary>Authenticates requests that carry an AiGuard API key (<c>Authorization: Bearer</c> or the key header).</summary>
public sealed class ApiKeyAuthenticationHandler : AuthenticationHandler<AuthenticationSchemeOptions>
{
    public const string SchemeName = "AiGuardApiKey";

    private readonly ApiKeyValidator _validator;
    private readonly IOptionsMonitor<ApiKeyOptions> _keyOptions;

    public ApiKeyAuthenticationHandler(
        IOptionsMonitor<AuthenticationSchemeOptions> options,
        ILoggerFactory logger,
        UrlEncoder encoder,
        ApiKeyValidator validator,
        IOptionsMonitor<ApiKeyOptions> keyOptions)
        : base(options, logger, encoder)
    {
        _validator = validator;
        _keyOptions = keyOptions;
    }

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var presented = ReadPresentedKey();
        if (presented is null)
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        var guard = GuardContext.For(Context);
        var result = _validator.Validate(presented);
        if (!result.Succeeded)
        {
            guard.AuthenticationFailureCode = result.FailureCode;
            guard.PresentedKeyId = result.KeyId;
            return Task.FromResult(AuthenticateResult.Fail(result.FailureCode!));
        }

        guard.Client = result.Identity;
        return Task.FromResult(AuthenticateResult.Success(new AuthenticationTicket(result.Principal!, SchemeName)));
    }

    private string? ReadPresentedKey()
    {
        var authorization = Request.Headers.Authorization.ToString();
        if (authorization.Length > 0)
        {
            const string bearer = "Bearer ";
            return authorization.StartsWith(bearer, StringComparison.OrdinalIgnoreCase)
                ? authorization[bearer.Length..].Trim()
                : authorization.Trim();
        }

        var header = Request.Headers[_keyOptions.CurrentValue.HeaderName].ToString();
        return header.Length > 0 ? header.Trim() : null;
    }
}
