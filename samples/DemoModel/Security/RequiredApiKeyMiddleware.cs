using System.Security.Cryptography;
using System.Text;
using DemoModel.OpenAi;
using DemoModel.OpenInference;

namespace DemoModel.Security;

/// <summary>Refuses every request but the health probes unless it carries <c>Authorization: Bearer</c> the configured key.</summary>
internal sealed class RequiredApiKeyMiddleware
{
    private readonly RequestDelegate _next;
    private readonly byte[] _expectedHash;

    public RequiredApiKeyMiddleware(RequestDelegate next, DemoModelOptions options)
    {
        _next = next;
        _expectedHash = Hash("Bearer " + options.RequiredApiKey);
    }

    public Task InvokeAsync(HttpContext context)
    {
        var path = context.Request.Path;
        if (path.Equals(HealthEndpoints.LivePath, StringComparison.Ordinal) || path.Equals(HealthEndpoints.ReadyPath, StringComparison.Ordinal))
        {
            return _next(context);
        }

        var authorization = context.Request.Headers.Authorization;

        // Comparing hashes keeps the comparison constant-time whatever the length of the presented value.
        if (authorization.Count == 1 && CryptographicOperations.FixedTimeEquals(Hash(authorization[0]!), _expectedHash))
        {
            return _next(context);
        }

        context.Response.Headers.WWWAuthenticate = "Bearer";
        return OpenAiError.WriteAsync(
            context,
            StatusCodes.Status401Unauthorized,
            "Missing or incorrect upstream API key.",
            "invalid_request_error",
            null,
            "invalid_api_key");
    }

    private static byte[] Hash(string value) => SHA256.HashData(Encoding.UTF8.GetBytes(value));
}
