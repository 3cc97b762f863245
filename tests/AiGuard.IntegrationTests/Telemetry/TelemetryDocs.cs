using System.Text.RegularExpressions;

namespace AiGuard.IntegrationTests.Telemetry;

/// <summary>Reads docs/telemetry.md of the repository, so tests can hold it to what the gateway exports.</summary>
public static partial class TelemetryDocs
{
    /// <summary>The repository's root (the folder holding AiGuard.sln).</summary>
    public static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "AiGuard.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("AiGuard.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>
    /// The rows of the metric table (the table under "## Metrics" whose first column is the metric
    /// name in backticks): name -> (kind, unit, Prometheus name).
    /// </summary>
    public static IReadOnlyDictionary<string, (string Kind, string Unit, string Prometheus)> MetricTable()
    {
        var text = File.ReadAllText(Path.Combine(RepositoryRoot(), "docs", "telemetry.md"));
        var start = text.IndexOf("\n## Metrics", StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/telemetry.md has no '## Metrics' section");
        var end = text.IndexOf("\n## ", start + 4, StringComparison.Ordinal);
        var section = end < 0 ? text[start..] : text[start..end];
        var rows = new Dictionary<string, (string, string, string)>(StringComparer.Ordinal);
        foreach (Match row in Row().Matches(section))
        {
            var name = row.Groups["name"].Value;
            Assert.True(rows.TryAdd(name, (row.Groups["kind"].Value.Trim(), row.Groups["unit"].Value.Trim(), row.Groups["prometheus"].Value)), $"{name} is listed twice");
        }

        return rows;
    }

    // | `aiguard.decisions` | counter | `{decision}` | attributes | `aiguard_decisions_total` | meaning |
    [GeneratedRegex(@"^\|\s*`(?<name>(aiguard|gen_ai)\.[a-z0-9_.]+)`\s*\|\s*(?<kind>[a-z_]+)\s*\|\s*`(?<unit>[^`]*)`\s*\|[^|]*\|\s*`(?<prometheus>[a-z0-9_]+)`\s*\|", RegexOptions.Multiline)]
    private static partial Regex Row();
}
