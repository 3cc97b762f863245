using System.Diagnostics;

namespace AiGuard.Cli.RedTeam;

/// <summary>Runs the probes one after another within the run's budget and collects their verdicts.</summary>
internal static class RedTeamRun
{
    public static async Task<RedTeamReport> RunAsync(RedTeamClient client, IReadOnlyList<Probe> probes, Action<ProbeResult> finished, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        var results = new List<ProbeResult>(probes.Count);
        string? budget = null;
        foreach (var probe in probes)
        {
            ProbeOutcome outcome;
            var before = client.Sent;
            if (budget is not null)
            {
                outcome = ProbeOutcome.NotApplicable("not run: " + budget) with { NotRun = true };
            }
            else
            {
                try
                {
                    outcome = await probe.Run(client, cancellationToken);
                }
                catch (BudgetSpentException e)
                {
                    budget = e.Message;
                    outcome = ProbeOutcome.NotApplicable("not run: " + budget) with { NotRun = true };
                }
            }

            var result = new ProbeResult(probe, outcome with { Requests = client.Sent - before });
            result = result with { Accepted = client.Settings.Accepted.Contains(result.Id) };
            results.Add(result);
            finished(result);
        }

        return new RedTeamReport(client.Settings, results, client.Sent, clock.Elapsed, budget);
    }
}
