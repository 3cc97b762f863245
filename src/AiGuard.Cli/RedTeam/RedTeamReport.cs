using System.Text.Json;
using System.Text.Json.Serialization;
using AiGuard.Identity;
using Spectre.Console;

namespace AiGuard.Cli.RedTeam;

/// <summary>The verdicts of a run, by category, as a table or as JSON, and the exit code they make.</summary>
internal sealed class RedTeamReport(RedTeamSettings settings, IReadOnlyList<ProbeResult> results, int requests, TimeSpan elapsed, string? budgetReached)
{
    /// <summary>Nothing got through and the gateway never failed.</summary>
    public const int Clean = 0;

    /// <summary>At least one probe that policy should stop got through.</summary>
    public const int GotThrough = 1;

    /// <summary>Bad arguments.</summary>
    public const int Usage = 2;

    /// <summary>The run could not start: the target is unreachable or does not accept the key.</summary>
    public const int CannotRun = 3;

    /// <summary>Nothing got through, but the gateway answered 5xx or dropped connections.</summary>
    public const int Failures = 4;

    /// <summary>Nothing got through and nothing failed, but probes met a throttle or quarantine of this client before their check, or were not run.</summary>
    public const int Inconclusive = 5;

    private const int Listed = 10;

    public IReadOnlyList<ProbeResult> Results => results;

    public int ExitCode =>
        results.Any(r => r.Fails) ? GotThrough
        : results.Any(r => r.Outcome.Verdict == Verdict.Error) ? Failures
        : results.Any(r => r.Outcome.Throttled || r.Outcome.NotRun) ? Inconclusive
        : Clean;

    public IReadOnlyList<CategorySummary> Categories =>
    [
        .. RedTeamSuite.CategoryNames.Where(settings.Categories.Contains).Select(name =>
        {
            var of = results.Where(r => r.Probe.Category == name).ToArray();
            return new CategorySummary(
                name,
                of.Length,
                of.Sum(r => r.Outcome.Requests),
                of.Count(r => r.Outcome.Verdict == Verdict.Stopped),
                of.Count(r => r.Outcome.Verdict == Verdict.GotThrough),
                of.Count(r => r.Outcome.Verdict == Verdict.GotThrough && r.Accepted),
                of.Count(r => r.Outcome.Verdict == Verdict.NotApplicable),
                of.Count(r => r.Outcome.Verdict == Verdict.Error));
        }),
    ];

    /// <summary>The categories in which something got through that the operator did not accept.</summary>
    public IReadOnlyList<string> Breached => [.. results.Where(r => r.Fails).Select(r => r.Probe.Category).Distinct()];

    public void Write(IAnsiConsole console)
    {
        console.WriteLine();
        console.MarkupLine($"AiGuard red team against [bold]{Markup.Escape(DisplayTarget(settings.Target))}[/] with key id {Markup.Escape(KeyId(settings.Key))}: {requests} requests in {elapsed.TotalSeconds:0.0} s");
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("category").AddColumn(new TableColumn("probes").RightAligned()).AddColumn(new TableColumn("requests").RightAligned())
            .AddColumn(new TableColumn("stopped").RightAligned()).AddColumn(new TableColumn("got through").RightAligned())
            .AddColumn(new TableColumn("not applicable").RightAligned()).AddColumn(new TableColumn("errors").RightAligned());
        foreach (var c in Categories)
        {
            table.AddRow(
                c.Name,
                c.Probes.ToString(System.Globalization.CultureInfo.InvariantCulture),
                c.Requests.ToString(System.Globalization.CultureInfo.InvariantCulture),
                Count(c.Stopped, "green"),
                c.Accepted > 0 ? $"{Count(c.GotThrough - c.Accepted, "red")} + {c.Accepted} accepted" : Count(c.GotThrough, "red"),
                Count(c.NotApplicable, "grey"),
                Count(c.Errors, "red"));
        }

        console.Write(table);
        List("Got through", Verdict.GotThrough, console);
        List("Errors (the gateway failed: 5xx or no answer)", Verdict.Error, console);
        List("Not applicable", Verdict.NotApplicable, console);
        if (budgetReached is not null)
        {
            var notRun = results.Count(r => r.Outcome.NotRun);
            console.MarkupLine($"[yellow]The run stopped early: {Markup.Escape(budgetReached)} (--max-requests {settings.MaxRequests}, --time-limit {settings.TimeLimit.TotalSeconds:0}); {notRun} probe(s) after it were not run.[/]");
        }

        console.MarkupLine(ExitCode switch
        {
            GotThrough => $"[red]Result: something got through in {string.Join(", ", Breached)}.[/]",
            Failures => "[red]Result: nothing got through, but the gateway failed on some probes.[/]",
            Inconclusive => $"[yellow]Result: inconclusive: nothing got through, but {results.Count(r => r.Outcome.Throttled)} probe(s) met a throttle or quarantine of this client before their check and {results.Count(r => r.Outcome.NotRun)} were not run. Wait for Retry-After (or use a fresh key) and run again.[/]",
            _ => "[green]Result: every applicable probe was stopped.[/]",
        });
    }

    public string ToJson()
    {
        var document = new
        {
            target = DisplayTarget(settings.Target),
            keyId = KeyId(settings.Key),
            requests,
            elapsedSeconds = Math.Round(elapsed.TotalSeconds, 2),
            budgetReached,
            exitCode = ExitCode,
            gotThrough = Breached,
            categories = Categories,
            probes = results.Select(r => new
            {
                category = r.Probe.Category,
                name = r.Probe.Name,
                expectation = r.Probe.Expectation,
                verdict = Name(r.Outcome.Verdict),
                accepted = r.Accepted,
                detail = r.Outcome.Detail,
                requests = r.Outcome.Requests,
                notRun = r.Outcome.NotRun,
                throttled = r.Outcome.Throttled,
            }),
        };
        return JsonSerializer.Serialize(document, JsonOptions);
    }

    public static string Name(Verdict verdict) => verdict switch
    {
        Verdict.Stopped => "stopped",
        Verdict.GotThrough => "got_through",
        Verdict.NotApplicable => "not_applicable",
        _ => "error",
    };

    /// <summary>The target without user information or query, which could hold a secret.</summary>
    public static string DisplayTarget(Uri target) => target.GetLeftPart(UriPartial.Path);

    /// <summary>The key's public id, never the key.</summary>
    public static string KeyId(string key) => ApiKeyFormat.TryParse(key, out string _, out string id) ? id : "(not an AiGuard key)";

    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    private static string Count(int value, string colour) =>
        value == 0 ? "0" : $"[{colour}]{value.ToString(System.Globalization.CultureInfo.InvariantCulture)}[/]";

    private void List(string title, Verdict verdict, IAnsiConsole console)
    {
        var of = results.Where(r => r.Outcome.Verdict == verdict && !r.Outcome.NotRun).ToArray();
        if (of.Length == 0)
        {
            return;
        }

        console.MarkupLine($"{Markup.Escape(title)} ({of.Length}{(of.Length > Listed ? $", the first {Listed} here, all of them with --json" : "")}):");
        foreach (var r in of.Take(Listed))
        {
            var accepted = r.Accepted ? " [yellow](accepted with --accept)[/]" : "";
            console.MarkupLine($"  {Markup.Escape(r.Id)}{accepted}: {Markup.Escape(r.Outcome.Detail)} [grey](expected: {Markup.Escape(r.Probe.Expectation)})[/]");
        }
    }
}

/// <summary>One row of the report's table.</summary>
/// <param name="GotThrough">Every probe that got through, <paramref name="Accepted"/> ones included.</param>
internal sealed record CategorySummary(string Name, int Probes, int Requests, int Stopped, int GotThrough, int Accepted, int NotApplicable, int Errors);
