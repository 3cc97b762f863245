using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Xunit;

namespace AiGuard.IntegrationTests.Limits;

/// <summary>A real redis-server (Debian's package; .ci/run installs it) on a free loopback port, which a test can kill and start again.</summary>
public sealed class RedisServer : IAsyncDisposable
{
    private Process? _process;

    private RedisServer(int port) => Port = port;

    public int Port { get; }

    public string Configuration => $"127.0.0.1:{Port}";

    /// <summary>Where redis-server is, or null when it is not installed.</summary>
    public static string? Binary { get; } = new[] { "/usr/bin/redis-server", "/usr/local/bin/redis-server" }.FirstOrDefault(File.Exists)
        ?? (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Select(d => Path.Combine(d, "redis-server")).FirstOrDefault(File.Exists);

    /// <summary>Whether tests run against a redis-server: it is installed, or <c>AIGUARD_REQUIRE_REDIS=1</c> (set by .ci/run) makes its absence a failure.</summary>
    public static bool Wanted => Binary is not null || Environment.GetEnvironmentVariable("AIGUARD_REQUIRE_REDIS") == "1";

    /// <summary>Skips a test when redis-server is not installed, unless <c>AIGUARD_REQUIRE_REDIS=1</c> (set by .ci/run) makes that a failure.</summary>
    public static void SkipUnlessInstalled()
    {
        if (!Wanted)
        {
            throw new SkipException("redis-server is not installed (Debian: apt-get install redis-server); .ci/run installs it.");
        }
    }

    public static async Task<RedisServer> StartAsync()
    {
        SkipUnlessInstalled();
        var server = new RedisServer(FreePort());
        await server.RestartAsync();
        return server;
    }

    /// <summary>Starts the server (again, on the same port, empty: it keeps nothing on disk).</summary>
    public async Task RestartAsync()
    {
        var start = new ProcessStartInfo(Binary ?? throw new InvalidOperationException("redis-server is not installed (Debian: apt-get install redis-server)."))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { "--port", Port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "yes" })
        {
            start.ArgumentList.Add(arg);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("redis-server did not start.");
        _process.OutputDataReceived += (_, _) => { };
        _process.ErrorDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        while (!await PingAsync())
        {
            if (_process.HasExited)
            {
                throw new InvalidOperationException($"redis-server exited with {_process.ExitCode}; is the redis-server package installed?");
            }

            await Task.Delay(20, deadline.Token);
        }
    }

    /// <summary>Kills the server at once, as a crash would.</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
    }

    private async Task<bool> PingAsync()
    {
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(IPAddress.Loopback, Port);
            var stream = client.GetStream();
            await stream.WriteAsync("PING\r\n"u8.ToArray());
            var buffer = new byte[16];
            var read = await stream.ReadAsync(buffer);
            return read >= 5 && System.Text.Encoding.ASCII.GetString(buffer, 0, read).StartsWith("+PONG", StringComparison.Ordinal);
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
