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
        // A command line that does not parse (a missing argument or option, an unknown one) is
        // exit code 2, as every command documents; System.CommandLine prints the error and the help.
        var parsed = root.Parse(args);
        var exit = parsed.Invoke();
        return parsed.Errors.Count > 0 ? 2 : exit;
    }
}
