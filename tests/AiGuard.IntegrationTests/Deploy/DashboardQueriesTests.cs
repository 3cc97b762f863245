using System.Text.Json;
using System.Text.RegularExpressions;
using AiGuard.IntegrationTests.Telemetry;
using YamlDotNet.RepresentationModel;

namespace AiGuard.IntegrationTests.Deploy;

/// <summary>
/// Every query of the Grafana dashboard and every Prometheus alert rule under deploy/ names a
/// metric the gateway really exports, and groups or filters it by labels that metric really has:
/// checked against what a real OTLP receiver captured after traffic through every stage, with
/// the names the OpenTelemetry Collector's Prometheus exporter gives them.
/// </summary>
[Collection(TelemetryCollection.Name)]
public sealed partial class DashboardQueriesTests(OtlpHttpFixture fixture) : IClassFixture<OtlpHttpFixture>
{
    /// <summary>Labels Prometheus itself adds (target labels, histogram buckets), not attributes of a metric.</summary>
    private static readonly HashSet<string> ServerLabels = ["job", "instance", "le"];

    private static readonly HashSet<string> PromQlWords =
    [
        "sum", "max", "min", "avg", "count", "by", "without", "and", "or", "unless", "on", "ignoring",
        "rate", "increase", "irate", "histogram_quantile", "label_values", "bool", "offset",
    ];

    /// <summary>
    /// The series names each captured OTLP metric becomes in Prometheus (the collector's
    /// <c>prometheus</c> exporter with its default suffixes), with the label names its points carry.
    /// </summary>
    private Dictionary<string, HashSet<string>> ExportedSeries()
    {
        var series = new Dictionary<string, HashSet<string>>(StringComparer.Ordinal);
        foreach (var metric in fixture.Telemetry.Collector.Metrics)
        {
            var labels = metric.PointAttributes.SelectMany(a => a).Select(kv => PrometheusName(kv.Key)).ToHashSet(StringComparer.Ordinal);
            foreach (var name in PrometheusSeries(metric.Metric.Name, metric.Metric.Unit, metric.Kind))
            {
                if (!series.TryGetValue(name, out var known))
                {
                    series[name] = known = new HashSet<string>(StringComparer.Ordinal);
                }

                known.UnionWith(labels);
            }
        }

        return series;
    }

    public static string PrometheusName(string otlp) => InvalidCharacter().Replace(otlp, "_");

    /// <summary>The series of one OTLP metric: dots to underscores, the unit as a suffix, <c>_total</c> for counters, the three histogram series.</summary>
    public static IEnumerable<string> PrometheusSeries(string name, string unit, string kind)
    {
        var baseName = PrometheusName(name);
        var suffix = unit switch
        {
            "s" => "seconds",
            "ms" => "milliseconds",
            "By" => "bytes",
            "1" when kind == "gauge" => "ratio",
            _ => null,
        };
        if (suffix is not null && !baseName.EndsWith("_" + suffix, StringComparison.Ordinal))
        {
            baseName += "_" + suffix;
        }

        return kind switch
        {
            "counter" => [baseName + "_total"],
            "histogram" or "exponential_histogram" => [baseName + "_bucket", baseName + "_sum", baseName + "_count"],
            _ => [baseName],
        };
    }

    public static IEnumerable<object[]> Queries()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(DeployFiles.PathOf("grafana/dashboards/aiguard.json")));
        foreach (var panel in dashboard.RootElement.GetProperty("panels").EnumerateArray())
        {
            if (!panel.TryGetProperty("targets", out var targets))
            {
                continue;
            }

            foreach (var target in targets.EnumerateArray())
            {
                yield return ["dashboard panel '" + panel.GetProperty("title").GetString() + "'", target.GetProperty("expr").GetString()!];
            }
        }

        foreach (var variable in dashboard.RootElement.GetProperty("templating").GetProperty("list").EnumerateArray())
        {
            if (variable.TryGetProperty("query", out var query) && query.ValueKind == JsonValueKind.String)
            {
                yield return ["dashboard variable '" + variable.GetProperty("name").GetString() + "'", query.GetString()!];
            }
        }

        foreach (var document in DeployFiles.Yaml("prometheus/alerts.yml"))
        {
            foreach (var group in document.Items("groups"))
            {
                foreach (var rule in group.Items("rules"))
                {
                    yield return ["alert " + rule.Text("alert"), rule.Text("expr")!];
                }
            }
        }
    }

    [Theory]
    [MemberData(nameof(Queries))]
    public void Every_query_names_exported_metrics_and_their_labels(string where, string expression)
    {
        var exported = ExportedSeries();
        var metrics = MetricNames(expression).ToList();
        Assert.True(metrics.Count > 0, $"{where}: no metric found in '{expression}'");
        foreach (var metric in metrics)
        {
            Assert.True(
                exported.ContainsKey(metric),
                $"{where}: '{metric}' is not exported; exported: {string.Join(", ", exported.Keys.Order(StringComparer.Ordinal))}");
        }

        // A label grouped by or matched on must be on at least one of the query's metrics.
        var available = metrics.SelectMany(m => exported[m]).Concat(ServerLabels).ToHashSet(StringComparer.Ordinal);
        foreach (var label in LabelNames(expression))
        {
            Assert.True(available.Contains(label), $"{where}: label '{label}' is on none of {string.Join(", ", metrics)}; they carry {string.Join(", ", available.Order(StringComparer.Ordinal))}");
        }
    }

    [Fact]
    public void The_dashboard_and_the_alerts_are_read_whole()
    {
        var queries = Queries().ToList();
        Assert.True(queries.Count(q => ((string)q[0]).StartsWith("dashboard panel", StringComparison.Ordinal)) >= 20);
        Assert.Equal(8, queries.Count(q => ((string)q[0]).StartsWith("alert", StringComparison.Ordinal)));

        // The parser finds what a query names, and a wrong name would be caught.
        Assert.Equal(["aiguard_refusals_total"], MetricNames("sum by (aiguard_code) (rate(aiguard_refusals_total{job=~\"$job\"}[5m]))"));
        Assert.Equal(["aiguard_code", "job"], LabelNames("sum by (aiguard_code) (rate(aiguard_refusals_total{job=~\"$job\"}[5m]))").Order(StringComparer.Ordinal));
        Assert.DoesNotContain("aiguard_refusal_total", ExportedSeries().Keys);
    }

    [Fact]
    public void The_series_names_follow_the_collector_conventions()
    {
        Assert.Equal(["http_server_request_duration_seconds_bucket", "http_server_request_duration_seconds_sum", "http_server_request_duration_seconds_count"], PrometheusSeries("http.server.request.duration", "s", "histogram"));
        Assert.Equal(["aiguard_refusals_total"], PrometheusSeries("aiguard.refusals", "{request}", "counter"));
        Assert.Equal(["aiguard_audit_queue_depth"], PrometheusSeries("aiguard.audit.queue_depth", "{event}", "updowncounter"));
    }

    /// <summary>The metric names a PromQL expression selects: identifiers followed by a matcher or a range, and the first argument of <c>label_values</c>.</summary>
    public static IEnumerable<string> MetricNames(string expression) =>
        Selector().Matches(expression).Select(m => m.Groups["name"].Value)
            .Concat(LabelValues().Matches(expression).Select(m => m.Groups["name"].Value))
            .Where(n => !PromQlWords.Contains(n))
            .Distinct(StringComparer.Ordinal);

    /// <summary>The label names of <c>by (...)</c> groupings, matchers and the second argument of <c>label_values</c>.</summary>
    public static IEnumerable<string> LabelNames(string expression) =>
        Grouping().Matches(expression).SelectMany(m => m.Groups["labels"].Value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
            .Concat(Matchers().Matches(expression).SelectMany(m => Matcher().Matches(m.Value).Select(x => x.Groups["label"].Value)))
            .Concat(LabelValues().Matches(expression).Select(m => m.Groups["label"].Value))
            .Distinct(StringComparer.Ordinal);

    [GeneratedRegex("[^a-zA-Z0-9_:]")]
    private static partial Regex InvalidCharacter();

    [GeneratedRegex(@"(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\s*[\{\[]")]
    private static partial Regex Selector();

    [GeneratedRegex(@"label_values\(\s*(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)\s*,\s*(?<label>[a-zA-Z_][a-zA-Z0-9_]*)\s*\)")]
    private static partial Regex LabelValues();

    [GeneratedRegex(@"\b(by|without|on|ignoring)\s*\((?<labels>[^)]*)\)")]
    private static partial Regex Grouping();

    [GeneratedRegex(@"\{[^}]*\}")]
    private static partial Regex Matchers();

    [GeneratedRegex(@"(?<label>[a-zA-Z_][a-zA-Z0-9_]*)\s*(=~|!~|!=|=)")]
    private static partial Regex Matcher();
}
