using System.Diagnostics;

namespace AiGuard.IntegrationTests.Cli;

/// <summary>The real <c>aiguard demo</c> as a child process on OS-chosen loopback ports, with the address and key it printed.</summary>
internal sealed class DemoProcess : IAsyncDisposable
{
    private readonly Process _process;

    private DemoProcess(Process process, string address, string key)
    {
        _process = process;
        Address = address;
        Key = key;
    }

    public string Address { get; }

    public string Key { get; }

    public static async Task<DemoProcess> StartAsync(string workingDirectory)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { Path.Combine(AppContext.BaseDirectory, "AiGuard.Cli.dll"), "demo", "--port", "0", "--model-port", "0" })
        {
            start.ArgumentList.Add(arg);
        }

        var process = Process.Start(start)!;
        process.StandardInput.Close();
        process.ErrorDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        string? address = null;
        string? key = null;
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(1));
        try
        {
            while (address is null || key is null)
            {
                var line = await process.StandardOutput.ReadLineAsync(timeout.Token)
                    ?? throw new InvalidOperationException("aiguard demo exited before printing its banner.");
                var trimmed = line.Trim();
                if (trimmed.StartsWith("gateway:", StringComparison.Ordinal))
                {
                    address = trimmed["gateway:".Length..].Trim();
                }
                else if (trimmed.StartsWith("demo key:", StringComparison.Ordinal))
                {
                    key = trimmed["demo key:".Length..].Trim();
                }
            }
        }
        catch
        {
            process.Kill(entireProcessTree: true);
            process.Dispose();
            throw;
        }

        // Keep draining the audit lines so the demo never blocks on a full pipe.
        _ = process.StandardOutput.BaseStream.CopyToAsync(Stream.Null);
        return new DemoProcess(process, address, key);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
