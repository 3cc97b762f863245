using System.Diagnostics;
using YamlDotNet.RepresentationModel;

namespace AiGuard.IntegrationTests.Deploy;

/// <summary>The files under deploy/, found from the test's output folder, and small readers for them.</summary>
internal static class DeployFiles
{
    public static string RepositoryRoot { get; } = FindRoot();

    public static string Deploy { get; } = Path.Combine(RepositoryRoot, "deploy");

    public static string PathOf(string relative) => Path.Combine(Deploy, relative.Replace('/', Path.DirectorySeparatorChar));

    public static IEnumerable<string> All(params string[] extensions) =>
        Directory.EnumerateFiles(Deploy, "*", SearchOption.AllDirectories)
            .Where(f => extensions.Contains(Path.GetExtension(f), StringComparer.OrdinalIgnoreCase))
            .Order(StringComparer.Ordinal);

    /// <summary>Every YAML document of a file (a Kubernetes file may hold several).</summary>
    public static List<YamlMappingNode> Yaml(string relative)
    {
        var stream = new YamlStream();
        using (var reader = new StreamReader(PathOf(relative)))
        {
            stream.Load(reader);
        }

        return stream.Documents.Select(d => (YamlMappingNode)d.RootNode).ToList();
    }

    public static YamlNode? At(this YamlNode node, params string[] path)
    {
        var current = node;
        foreach (var key in path)
        {
            if (current is not YamlMappingNode map || !map.Children.TryGetValue(new YamlScalarNode(key), out var next))
            {
                return null;
            }

            current = next;
        }

        return current;
    }

    public static string? Text(this YamlNode node, params string[] path) => (node.At(path) as YamlScalarNode)?.Value;

    public static IEnumerable<YamlNode> Items(this YamlNode node, params string[] path) =>
        node.At(path) is YamlSequenceNode sequence ? sequence.Children : [];

    /// <summary>Where a tool is installed, or null.</summary>
    public static string? Tool(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':')
            .Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    /// <summary>Runs a tool to its end (at most a minute) and returns its exit code and output.</summary>
    public static (int ExitCode, string Output) Run(string tool, string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo(tool) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = workingDirectory };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{tool} did not start.");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(60_000))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{tool} {string.Join(' ', args)} did not finish in a minute.");
        }

        return (process.ExitCode, stdout.Result + stderr.Result);
    }

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "AiGuard.sln")) && Directory.Exists(Path.Combine(directory.FullName, "deploy")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No AiGuard.sln with a deploy/ folder above {AppContext.BaseDirectory}.");
    }
}
