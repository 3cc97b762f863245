using System.CommandLine;

namespace AiGuard.Cli;

internal static class Program
{
    private static int Main(string[] args)
    {
        var root = new RootCommand("aiguard: command-line tools for the AiGuard AI security gateway");
        root.Subcommands.Add(Anomaly.AnomalyCommand.Create());
        return root.Parse(args).Invoke();
    }
}
