using System.Diagnostics;

namespace AiGuard.IntegrationTests.Cli;

/// <summary>Runs the real <c>aiguard</c> command (AiGuard.Cli.dll from the test output) as a child process.</summary>
internal static class AiGuardCli
{
    public static Task<(int ExitCode, string StdOut, string StdErr)> RunAsync(string workingDirectory, params string[] args) =>
        RunAsync(workingDirectory, environment: null, args);

    /// <summary>Runs the command with <paramref name="environment"/> applied to the child's variables first (a null value removes one).</summary>
    public static async Task<(int ExitCode, string StdOut, string StdErr)> RunAsync(string workingDirectory, IReadOnlyDictionary<string, string?>? environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "AiGuard.Cli.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null)
            {
                start.Environment.Remove(name);
            }
            else
            {
                start.Environment[name] = value;
            }
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return (process.ExitCode, await stdout, await stderr);
    }
}
