using System.CommandLine;

namespace AiGuard.Cli.Anomaly;

/// <summary><c>aiguard anomaly</c>: generate demo features, train (ML.NET, exported to ONNX), and score anomaly models.</summary>
internal static class AnomalyCommand
{
    public static Command Create()
    {
        var command = new Command("anomaly", "Train and use the ONNX anomaly model (docs/anomaly-model.md)");
        command.Subcommands.Add(GenerateCommand.Create());
        command.Subcommands.Add(TrainCommand.Create());
        command.Subcommands.Add(ScoreCommand.Create());
        command.Subcommands.Add(EvaluateCommand.Create());
        command.Subcommands.Add(ReferenceCommand.Create());
        command.Subcommands.Add(SampleCommand.Create());
        return command;
    }
}
