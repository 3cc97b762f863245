using System.CommandLine;
using AiGuard.Cli.Anomaly;
using AiGuard.Cli.Demo;
using AiGuard.Cli.Keys;

namespace AiGuard.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        var root = new RootCommand("aiguard: command-line tools for the AiGuard AI security gateway");
        root.Subcommands.Add(KeysCommand.Create());
        root.Subcommands.Add(DemoCommand.Create());
        root.Subcommands.Add(AnomalyCommand.Create());
        root.Subcommands.Add(Guard.GuardEvalCommand.Create());
        root.Subcommands.Add(RedTeam.RedTeamCommand.Create());
        Admin.AdminCommands.AddTo(root);
        return root.Parse(args).Invoke();
    }
}
