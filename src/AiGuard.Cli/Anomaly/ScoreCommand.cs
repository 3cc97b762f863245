using System.CommandLine;
using System.Globalization;
using AiGuard.Anomaly;
using AiGuard.Training.Features;

namespace AiGuard.Cli.Anomaly;

/// <summary><c>aiguard anomaly score</c>: prints one score per row of a feature table.</summary>
internal static class ScoreCommand
{
    private const int BatchRows = 1024;

    public static Command Create()
    {
        var model = new Option<FileInfo>("--model") { Description = "ONNX model file (its <name>.manifest.json, when present, is read too)", Required = true };
        var input = new Option<FileInfo>("--input") { Description = "Rows to score (.csv or .jsonl); a 'label' column is ignored", Required = true };
        var sha256 = new Option<string?>("--sha256") { Description = "Refuse the model unless its SHA-256 equals this pin" };
        var schemaVersion = new Option<string?>("--schema-version") { Description = "Refuse the model unless it has this feature schema version" };

        var command = new Command("score", "Score feature rows with an anomaly model: one score in [0, 1] per line");
        command.Options.Add(model);
        command.Options.Add(input);
        command.Options.Add(sha256);
        command.Options.Add(schemaVersion);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            using var scorer = AnomalyScorer.Load(new AnomalyModelOptions
            {
                Path = parse.GetValue(model)!.FullName,
                Sha256 = parse.GetValue(sha256),
                ExpectedFeatureSchemaVersion = parse.GetValue(schemaVersion),
            });
            var table = Align(FeatureTableReader.Read(parse.GetValue(input)!.FullName), scorer);
            PrintScores(scorer, table);
            return 0;
        }));
        return command;
    }

    /// <summary>Uses the model's feature names (metadata or manifest) to put columns in its order when it has them.</summary>
    private static FeatureTable Align(FeatureTable table, AnomalyScorer scorer)
    {
        if (scorer.FeatureNames is { } names)
        {
            return table.SelectColumns(names);
        }

        return table.FeatureCount == scorer.FeatureCount
            ? table
            : throw new InvalidDataException($"The model expects {scorer.FeatureCount} features; the table has {table.FeatureCount}.");
    }

    private static void PrintScores(AnomalyScorer scorer, FeatureTable table)
    {
        var scores = new float[BatchRows];
        var output = Console.Out;
        for (var start = 0; start < table.RowCount; start += BatchRows)
        {
            var rows = Math.Min(BatchRows, table.RowCount - start);
            var values = table.Values.Slice(start * table.FeatureCount, rows * table.FeatureCount);
            scorer.Score(values, scores);
            for (var i = 0; i < rows; i++)
            {
                output.WriteLine(scores[i].ToString("F6", CultureInfo.InvariantCulture));
            }
        }
    }
}
