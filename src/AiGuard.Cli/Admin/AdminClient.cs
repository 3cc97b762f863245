using System.Net;
using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text.Json;

namespace AiGuard.Cli.Admin;

/// <summary>Exit codes of the admin commands (docs/admin-api.md).</summary>
internal static class AdminExit
{
    public const int Ok = 0;

    /// <summary><c>config check</c>: the file would be refused.</summary>
    public const int Invalid = 1;

    /// <summary>Bad arguments, no credential, an unreadable file.</summary>
    public const int Usage = 2;

    /// <summary>The admin API could not be reached (refused connection, timeout, not an AiGuard admin API).</summary>
    public const int Unreachable = 3;

    /// <summary>The gateway refused the request (problem+json: credential, unknown client, bad input).</summary>
    public const int Refused = 4;
}

/// <summary>An answer of the admin API: its status and JSON body.</summary>
internal sealed record AdminAnswer(HttpStatusCode Status, JsonElement Body, string Text);

/// <summary>A failure the command reports in one line with its exit code.</summary>
internal sealed class AdminCliException(int exitCode, string message, string? json = null) : Exception(message)
{
    public int ExitCode { get; } = exitCode;

    /// <summary>The problem body the gateway sent, for <c>--json</c>.</summary>
    public string? Json { get; } = json;
}

/// <summary>Talks to a gateway's admin API with the URL and credential from options or the environment; never prints the credential.</summary>
internal sealed class AdminClient : IDisposable
{
    public const string UrlVariable = "AIGUARD_ADMIN_URL";
    public const string KeyVariable = "AIGUARD_ADMIN_KEY";
    public const string KeyFileVariable = "AIGUARD_ADMIN_KEY_FILE";
    public const string DefaultUrl = "http://127.0.0.1:8081";

    private readonly HttpClient _http;

    private AdminClient(Uri baseAddress, string? key)
    {
        BaseAddress = baseAddress;
        _http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(15) };
        if (key is not null)
        {
            _http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", key);
        }
    }

    public Uri BaseAddress { get; }

    /// <summary>The admin URL from <c>--admin-url</c>, <c>AIGUARD_ADMIN_URL</c> or the default; the key from <c>--admin-key-file</c>, <c>AIGUARD_ADMIN_KEY_FILE</c> or <c>AIGUARD_ADMIN_KEY</c>.</summary>
    public static AdminClient Create(string? url, string? keyFile, bool needsKey = true)
    {
        var address = url ?? Environment.GetEnvironmentVariable(UrlVariable);
        if (string.IsNullOrWhiteSpace(address))
        {
            address = DefaultUrl;
        }

        if (!Uri.TryCreate(address.Trim(), UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            throw new AdminCliException(AdminExit.Usage, $"the admin URL '{address}' is not an http:// or https:// address (--admin-url or {UrlVariable}).");
        }

        var key = ReadKey(keyFile ?? Environment.GetEnvironmentVariable(KeyFileVariable));
        if (needsKey && key is null)
        {
            throw new AdminCliException(AdminExit.Usage, $"no admin credential: set {KeyVariable}, or put the key in a file named by --admin-key-file or {KeyFileVariable}.");
        }

        return new AdminClient(new Uri(uri.GetLeftPart(UriPartial.Path).TrimEnd('/') + "/"), key);
    }

    private static string? ReadKey(string? file)
    {
        if (!string.IsNullOrWhiteSpace(file))
        {
            try
            {
                var text = File.ReadAllText(file).Trim();
                return text.Length > 0 ? text : throw new AdminCliException(AdminExit.Usage, $"the admin key file '{file}' is empty.");
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new AdminCliException(AdminExit.Usage, $"cannot read the admin key file '{file}': {e.Message}");
            }
        }

        var value = Environment.GetEnvironmentVariable(KeyVariable)?.Trim();
        return string.IsNullOrEmpty(value) ? null : value;
    }

    public Task<AdminAnswer> GetAsync(string path, HttpStatusCode? alsoAccept = null) => SendAsync(new HttpRequestMessage(HttpMethod.Get, path.TrimStart('/')), alsoAccept);

    public Task<AdminAnswer> SendAsync(HttpMethod method, string path, HttpContent? content) =>
        SendAsync(new HttpRequestMessage(method, path.TrimStart('/')) { Content = content });

    /// <summary>Sends a request; a problem answer or an unreachable gateway becomes an <see cref="AdminCliException"/>.</summary>
    private async Task<AdminAnswer> SendAsync(HttpRequestMessage request, HttpStatusCode? alsoAccept = null)
    {
        using (request)
        {
            HttpResponseMessage response;
            try
            {
                response = await _http.SendAsync(request);
            }
            catch (HttpRequestException e) when (e.InnerException is SocketException || e.HttpRequestError == HttpRequestError.ConnectionError)
            {
                throw new AdminCliException(AdminExit.Unreachable, $"cannot reach the admin API at {BaseAddress} ({e.Message}); is the gateway running, and is {UrlVariable} right?");
            }
            catch (HttpRequestException e)
            {
                throw new AdminCliException(AdminExit.Unreachable, $"the admin API at {BaseAddress} failed: {e.Message}");
            }
            catch (TaskCanceledException)
            {
                throw new AdminCliException(AdminExit.Unreachable, $"the admin API at {BaseAddress} did not answer within {_http.Timeout.TotalSeconds} s.");
            }

            using (response)
            {
                var text = await response.Content.ReadAsStringAsync();
                JsonElement body;
                try
                {
                    body = text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
                }
                catch (JsonException)
                {
                    throw new AdminCliException(AdminExit.Unreachable, $"{BaseAddress} answered {(int)response.StatusCode} with something that is not JSON; is it an AiGuard admin API?");
                }

                if (response.IsSuccessStatusCode || response.StatusCode == alsoAccept)
                {
                    return new AdminAnswer(response.StatusCode, body, text);
                }

                if (response.Content.Headers.ContentType?.MediaType == "application/problem+json" && body.ValueKind == JsonValueKind.Object)
                {
                    throw new AdminCliException(AdminExit.Refused, Describe(response.StatusCode, body), text);
                }

                throw new AdminCliException(AdminExit.Unreachable, $"{BaseAddress} answered {(int)response.StatusCode} without a problem description; is it an AiGuard admin API?");
            }
        }
    }

    private static string Describe(HttpStatusCode status, JsonElement problem)
    {
        string Get(string name) => problem.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : string.Empty;
        var detail = Get("detail");
        return $"the gateway refused ({(int)status} {Get("code")}): {(detail.Length > 0 ? detail : Get("title"))} (incident {Get("incidentId")})";
    }

    public void Dispose() => _http.Dispose();
}
