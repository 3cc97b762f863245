using System.Net.Http.Headers;
using System.Net.Sockets;
using System.Text;

namespace AiGuard.Cli.RedTeam;

/// <summary>The request or time budget of the run is spent: the probe that asked is not run.</summary>
internal sealed class BudgetSpentException(string message) : Exception(message);

/// <summary>
/// The only way probes reach the gateway: every request goes through here, so the run's request
/// count and time limit hold whatever the probes do, and a transport failure becomes a
/// <see cref="ProbeResponse"/> instead of an exception.
/// </summary>
internal sealed class RedTeamClient : IDisposable
{
    private const int MaxBodyChars = 256 * 1024;

    private readonly HttpClient _http;
    private readonly CancellationToken _deadline;
    private int _sent;

    public RedTeamClient(RedTeamSettings settings, CancellationToken deadline)
    {
        Settings = settings;
        _deadline = deadline;
        _http = new HttpClient(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            AutomaticDecompression = System.Net.DecompressionMethods.None,
            ConnectTimeout = settings.RequestTimeout,
        })
        {
            BaseAddress = settings.Target,
            Timeout = Timeout.InfiniteTimeSpan,
        };
    }

    public RedTeamSettings Settings { get; }

    /// <summary>Requests sent so far.</summary>
    public int Sent => Volatile.Read(ref _sent);

    /// <summary>The caller's key. Probes put it where it belongs or where it must not work; nothing prints it.</summary>
    public string Key => Settings.Key;

    /// <summary>A request to <paramref name="path"/> carrying the key as <c>Authorization: Bearer</c> when <paramref name="authenticated"/>.</summary>
    public HttpRequestMessage Request(HttpMethod method, string path, bool authenticated = true)
    {
        var request = new HttpRequestMessage(method, path.TrimStart('/'));
        if (authenticated)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Key);
        }

        return request;
    }

    /// <summary>A POST of a JSON body.</summary>
    public HttpRequestMessage PostJson(string path, string json, bool authenticated = true)
    {
        var request = Request(HttpMethod.Post, path, authenticated);
        request.Content = new StringContent(json, Encoding.UTF8, "application/json");
        return request;
    }

    public async Task<ProbeResponse> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        using (request)
        {
            if (_deadline.IsCancellationRequested)
            {
                throw new BudgetSpentException("the time limit was reached");
            }

            if (Interlocked.Increment(ref _sent) > Settings.MaxRequests)
            {
                Interlocked.Decrement(ref _sent);
                throw new BudgetSpentException("the request limit was reached");
            }

            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _deadline);
            timeout.CancelAfter(Settings.RequestTimeout);
            try
            {
                using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
                return await ProbeResponse.ReadAsync(response, MaxBodyChars, timeout.Token);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                throw;
            }
            catch (OperationCanceledException) when (_deadline.IsCancellationRequested)
            {
                throw new BudgetSpentException("the time limit was reached");
            }
            catch (OperationCanceledException)
            {
                return ProbeResponse.Failed($"no answer within {Settings.RequestTimeout.TotalSeconds:0.#} s");
            }
            catch (HttpRequestException e)
            {
                return ProbeResponse.Failed(Describe(e));
            }
            catch (IOException e)
            {
                return ProbeResponse.Failed("connection dropped: " + e.Message);
            }
        }
    }

    /// <summary>The transport failure in words, without the request (which may carry the key in a header or the query).</summary>
    private static string Describe(HttpRequestException e) => e.InnerException switch
    {
        SocketException { SocketErrorCode: SocketError.ConnectionRefused } => "connection refused",
        SocketException socket => "connection failed: " + socket.SocketErrorCode,
        IOException => "connection dropped before an answer",
        _ when e.HttpRequestError == HttpRequestError.ResponseEnded => "connection dropped before an answer",
        _ => "request failed: " + e.HttpRequestError,
    };

    public void Dispose() => _http.Dispose();
}
