using System.CommandLine;
using AiGuard.Anomaly;
using AiGuard.Training;
using AiGuard.Training.Features;
using AiGuard.Training.Trees;
using Spectre.Console;

namespace AiGuard.Cli.Anomaly;

/// <summary><c>aiguard anomaly train</c>: fits a model on a feature table and writes it as ONNX.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var defaults = new AnomalyTrainingOptions();
        var input = new Option<FileInfo>("--input") { Description = "Feature table (.csv, or .jsonl)", Required = true };
        var output = new Option<FileInfo>("--out") { Description = "ONNX model file to write", Required = true };
        var seed = new Option<int>("--seed") { Description = "Random seed", DefaultValueFactory = _ => defaults.Seed };
        var trees = new Option<int>("--trees") { Description = "Number of trees", DefaultValueFactory = _ => defaults.Trees };
        var sampleSize = new Option<int>("--sample-size")
        {
            Description = "Isolation forest sub-sample size",
            DefaultValueFactory = _ => defaults.SampleSize,
        };
        var schemaVersion = new Option<string>("--schema-version")
        {
            Description = "Feature schema version recorded in the model",
            DefaultValueFactory = _ => defaults.SchemaVersion,
        };

        var command = new Command(
            "train",
            "Train an anomaly model: isolation forest on unlabelled rows, gradient boosting when a 'label' column is present");
        command.Options.Add(input);
        command.Options.Add(output);
        command.Options.Add(seed);
        command.Options.Add(trees);
        command.Options.Add(sampleSize);
        command.Options.Add(schemaVersion);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var table = FeatureTableReader.Read(parse.GetValue(input)!.FullName);
            var options = new AnomalyTrainingOptions
            {
                Seed = parse.GetValue(seed),
                Trees = parse.GetValue(trees),
                SampleSize = parse.GetValue(sampleSize),
                SchemaVersion = parse.GetValue(schemaVersion)!,
            };
            var result = Train(table, options);
            var path = parse.GetValue(output)!.FullName;
            WriteAtomically(path, result.OnnxBytes);
            PrintSummary(path, table, result, options);
            return 0;
        }));
        return command;
    }

    private static AnomalyModelTrainer.Result Train(FeatureTable table, AnomalyTrainingOptions options)
    {
        var kind = table.HasLabels ? GradientBoostingTrainer.AlgorithmName : IsolationForestTrainer.AlgorithmName;
        AnomalyModelTrainer.Result? result = null;
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .Start(context =>
            {
                var task = context.AddTask($"Training {kind} on {table.RowCount} rows", maxValue: options.Trees);
                result = AnomalyModelTrainer.Train(table, options, new TaskProgress(task));
            });
        return result!;
    }

    private static void WriteAtomically(string path, byte[] bytes)
    {
        // A scorer watching the path must never see a half-written model.
        var temp = path + ".tmp";
        File.WriteAllBytes(temp, bytes);
        File.Move(temp, path, overwrite: true);
    }

    private static void PrintSummary(string path, FeatureTable table, AnomalyModelTrainer.Result result, AnomalyTrainingOptions options)
    {
        var sha256 = ModelFileHash.Compute(result.OnnxBytes);
        Console.WriteLine(
            $"Wrote {path}: {result.Model.Algorithm}, {result.Model.Trees.Count} trees, {table.RowCount} rows, {table.FeatureCount} features, schema version {options.SchemaVersion}");
        Console.WriteLine($"SHA-256: {sha256}");
        Console.WriteLine("Pin it in the gateway configuration (under \"AiGuard\"):");
        Console.WriteLine(
            $$"""
              "Anomaly": {
                "Model": {
                  "Path": "{{path}}",
                  "Sha256": "{{sha256}}",
                  "ExpectedFeatureSchemaVersion": "{{options.SchemaVersion}}"
                }
              }
            """);
    }

    /// <summary>Updates the bar synchronously; Progress&lt;T&gt; would post to the thread pool.</summary>
    private sealed class TaskProgress(ProgressTask task) : IProgress<int>
    {
        public void Report(int value) => task.Value = value;
    }
}
