using System.CommandLine;
using AiGuard.Training.Features;

namespace AiGuard.Cli.Anomaly;

/// <summary><c>aiguard anomaly generate</c>: writes a seeded synthetic, labelled feature table for demos.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var rows = new Option<int>("--rows") { Description = "Number of client rows", DefaultValueFactory = _ => 5000 };
        var output = new Option<FileInfo>("--out") { Description = "CSV file to write", Required = true };
        var seed = new Option<int>("--seed") { Description = "Random seed", DefaultValueFactory = _ => 42 };
        var attacks = new Option<double>("--attack-fraction")
        {
            Description = "Share of attacking clients (label 1)",
            DefaultValueFactory = _ => 0.1,
        };

        var command = new Command(
            "generate",
            "Write a synthetic labelled feature table in the gateway's feature schema (benign and attacking tensor and text clients), for demos");
        command.Options.Add(rows);
        command.Options.Add(output);
        command.Options.Add(seed);
        command.Options.Add(attacks);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var table = SyntheticFeatureTable.Generate(parse.GetValue(rows), parse.GetValue(seed), parse.GetValue(attacks));
            var path = parse.GetValue(output)!.FullName;
            using (var writer = new StreamWriter(path))
            {
                FeatureTableWriter.WriteCsv(table, writer);
            }

            Console.WriteLine($"Wrote {table.RowCount} labelled rows x {table.FeatureCount} features to {path}");
            return 0;
        }));
        return command;
    }
}
