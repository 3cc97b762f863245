using System.Globalization;
using Spectre.Console;

namespace AiGuard.Cli.RedTeam;

/// <summary>How a run shows its progress: live bars on a terminal, one line per finished category on stderr otherwise.</summary>
internal static class Progress
{
    public static Action<ProbeResult> Line(IReadOnlyList<Probe> probes)
    {
        var remaining = probes.GroupBy(p => p.Category).ToDictionary(g => g.Key, g => g.Count());
        var done = new Dictionary<string, List<ProbeResult>>();
        return result =>
        {
            var category = result.Probe.Category;
            if (!done.TryGetValue(category, out var list))
            {
                done[category] = list = [];
            }

            list.Add(result);
            if (--remaining[category] == 0)
            {
                Console.Error.WriteLine(string.Create(
                    CultureInfo.InvariantCulture,
                    $"{category}: {list.Count} probes, {list.Sum(r => r.Outcome.Requests)} requests: {Count(list, Verdict.Stopped)} stopped, {Count(list, Verdict.GotThrough)} got through, {Count(list, Verdict.NotApplicable)} not applicable, {Count(list, Verdict.Error)} errors"));
            }
        };
    }

    public static Task<RedTeamReport> BarsAsync(RedTeamClient client, IReadOnlyList<Probe> probes, CancellationToken cancellationToken) =>
        AnsiConsole.Progress()
            .AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new SpinnerColumn())
            .StartAsync(async context =>
            {
                var tasks = probes.GroupBy(p => p.Category)
                    .ToDictionary(g => g.Key, g => context.AddTask(g.Key, autoStart: true, maxValue: g.Count()));
                return await RedTeamRun.RunAsync(
                    client,
                    probes,
                    result =>
                    {
                        var task = tasks[result.Probe.Category];
                        task.Increment(1);
                        var through = result.Outcome.Verdict == Verdict.GotThrough ? " [red](got through)[/]" : "";
                        task.Description = $"{result.Probe.Category}: {Markup.Escape(result.Probe.Name)}{through}";
                        if (task.IsFinished)
                        {
                            task.Description = result.Probe.Category;
                        }
                    },
                    cancellationToken);
            });

    private static int Count(List<ProbeResult> results, Verdict verdict) => results.Count(r => r.Outcome.Verdict == verdict);
}
