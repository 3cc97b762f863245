using System.CommandLine;
using AiGuard.Training.Features;

namespace AiGuard.Cli.Anomaly;

/// <summary><c>aiguard anomaly generate</c>: writes a seeded synthetic feature table for demos.</summary>
internal static class GenerateCommand
{
    public static Command Create()
    {
        var rows = new Option<int>("--rows") { Description = "Number of client rows", DefaultValueFactory = _ => 5000 };
        var output = new Option<FileInfo>("--out") { Description = "CSV file to write", Required = true };
        var seed = new Option<int>("--seed") { Description = "Random seed", DefaultValueFactory = _ => 42 };
        var outliers = new Option<double>("--outlier-fraction")
        {
            Description = "Share of extraction-like outlier rows",
            DefaultValueFactory = _ => 0.02,
        };
        var labels = new Option<bool>("--labels") { Description = "Add a 'label' column (1 = outlier) for supervised training" };

        var command = new Command("generate", "Write a synthetic per-client feature table (benign clusters plus a few outliers)");
        command.Options.Add(rows);
        command.Options.Add(output);
        command.Options.Add(seed);
        command.Options.Add(outliers);
        command.Options.Add(labels);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var table = SyntheticFeatureTable.Generate(
                parse.GetValue(rows), parse.GetValue(seed), parse.GetValue(outliers), parse.GetValue(labels));
            var path = parse.GetValue(output)!.FullName;
            using (var writer = new StreamWriter(path))
            {
                FeatureTableWriter.WriteCsv(table, writer);
            }

            Console.WriteLine($"Wrote {table.RowCount} rows x {table.FeatureCount} features to {path}");
            return 0;
        }));
        return command;
    }
}
