using System.CommandLine;
using System.Globalization;
using AiGuard.Anomaly;
using AiGuard.Training;
using AiGuard.Training.Evaluation;
using AiGuard.Training.Features;
using Spectre.Console;

namespace AiGuard.Cli.Anomaly;

/// <summary><c>aiguard anomaly train</c>: fits the ML.NET model on a labelled feature table and writes it as ONNX plus its manifest.</summary>
internal static class TrainCommand
{
    public static Command Create()
    {
        var defaults = new AnomalyTreeSettings();
        var input = new Option<FileInfo>("--input")
        {
            Description = $"Feature table (.csv or .jsonl): the {AnomalyFeatures.Count} features of schema version {AnomalyFeatures.SchemaVersion} and a 'label' column (1 = attack). Without it, the model is trained on simulated traffic (the shipped model's recipe)",
        };
        var clients = new Option<int>("--clients-per-family") { Description = "Simulated traffic: clients per family and victim", DefaultValueFactory = _ => new StudyOptions().ClientsPerFamily };
        var maxQueries = new Option<int>("--max-queries") { Description = "Simulated traffic: requests per client at most", DefaultValueFactory = _ => new StudyOptions().MaxQueries };
        var tuningClients = new Option<int?>("--tuning-clients-per-family") { Description = "Simulated traffic: benign clients per family the recommended thresholds are tuned on (default: four times --clients-per-family)" };
        var output = new Option<FileInfo>("--out") { Description = "ONNX model file to write; the manifest goes beside it as <name>.manifest.json", Required = true };
        var seed = new Option<int>("--seed") { Description = "Random seed (training and the held-out split)", DefaultValueFactory = _ => 42 };
        var trees = new Option<int>("--trees") { Description = "Number of boosted trees", DefaultValueFactory = _ => defaults.Trees };
        var leaves = new Option<int>("--leaves") { Description = "Leaves per tree", DefaultValueFactory = _ => defaults.Leaves };
        var minRows = new Option<int>("--min-rows-per-leaf") { Description = "Fewest rows in a leaf", DefaultValueFactory = _ => defaults.MinRowsPerLeaf };
        var learningRate = new Option<double>("--learning-rate") { Description = "Shrinkage of each tree", DefaultValueFactory = _ => defaults.LearningRate };
        var featureFraction = new Option<double>("--feature-fraction") { Description = "Share of the features each tree may split on", DefaultValueFactory = _ => defaults.FeatureFraction };
        var holdout = new Option<double>("--holdout")
        {
            Description = "Share of each class held out of training to measure the AUC (0 trains on every row)",
            DefaultValueFactory = _ => 0.2,
        };

        var command = new Command("train", "Train the anomaly model (ML.NET FastTree, exported to ONNX) on a labelled feature table");
        command.Options.Add(input);
        command.Options.Add(output);
        command.Options.Add(seed);
        command.Options.Add(trees);
        command.Options.Add(leaves);
        command.Options.Add(minRows);
        command.Options.Add(learningRate);
        command.Options.Add(featureFraction);
        command.Options.Add(holdout);
        command.Options.Add(clients);
        command.Options.Add(maxQueries);
        command.Options.Add(tuningClients);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var settings = new AnomalyTreeSettings
            {
                Trees = parse.GetValue(trees),
                Leaves = parse.GetValue(leaves),
                MinRowsPerLeaf = parse.GetValue(minRows),
                LearningRate = parse.GetValue(learningRate),
                FeatureFraction = parse.GetValue(featureFraction),
            };
            if (parse.GetValue(input) is null)
            {
                var study = new StudyOptions
                {
                    Seed = parse.GetValue(seed),
                    ClientsPerFamily = parse.GetValue(clients),
                    TuningClientsPerFamily = parse.GetValue(tuningClients),
                    MaxQueries = parse.GetValue(maxQueries),
                    Trees = settings,
                };
                return TrainOnSimulatedTraffic(study, parse.GetValue(output)!.FullName);
            }

            var rows = TrainingData.FromTable(FeatureTableReader.Read(parse.GetValue(input)!.FullName));
            var (training, heldOut) = TrainingData.Split(rows, parse.GetValue(holdout), parse.GetValue(seed));
            AnomalyTrainingResult? result = null;
            AnsiConsole.Status().Start(
                $"Training {settings.Trees} trees on {training.Count} rows",
                _ => result = AnomalyTrainer.Train(training, parse.GetValue(seed), settings, heldOut.Count > 0 ? heldOut : null));
            var path = parse.GetValue(output)!.FullName;
            var manifestPath = result!.WriteFiles(path);
            PrintSummary(path, manifestPath, result, settings);
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// The shipped model's recipe: every simulated family against both tensor victims and the toy
    /// LLM (seed), the threshold tuned on separate clients (seed + 1) and written to the manifest.
    /// </summary>
    private static int TrainOnSimulatedTraffic(StudyOptions study, string path)
    {
        var plan = new TrafficPlan { ClientsPerFamily = study.ClientsPerFamily, MaxQueries = study.MaxQueries, Seed = study.Seed };
        IReadOnlyList<ClientTrace> training = [], tuning = [];
        EvaluateCommand.WithProgress(progress =>
        {
            training = EvaluateCommand.Simulate(progress, "training clients", plan with { Seed = study.Seed });
            tuning = EvaluateCommand.Simulate(progress, "benign tuning clients", AnomalyStudy.TuningPlan(plan, study));
        });

        TunedModel? model = null;
        AnsiConsole.Status().Start($"Training {study.Trees.Trees} trees on {training.Sum(t => t.Rows.Length)} requests of {training.Count} clients", _ => model = AnomalyStudy.TrainAndTune(training, tuning, study));
        using (model)
        {
            var result = model!.Result;
            var manifest = result.Manifest with
            {
                Training = result.Manifest.Training! with
                {
                    Traffic = $"simulated: {training.Count} clients ({string.Join(", ", plan.Victims.Append(TrafficPlan.ChatVictim))}; {study.ClientsPerFamily} per family and victim; at most {study.MaxQueries} requests; seed {study.Seed}), scored from request {study.MinRequests} on",
                    RecommendedThreshold = Math.Round(model.TensorThreshold, 6),
                    RecommendedTextThreshold = Math.Round(model.TextThreshold, 6),
                    TunedFalsePositiveRate = study.FalsePositiveRate,
                    TuningBenignClients = model.BenignMaxScores.Length,
                },
            };
            var manifestPath = result.WriteFiles(path, manifest);
            PrintSummary(path, manifestPath, result, study.Trees);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Recommended first thresholds: {model.TensorThreshold:0.####} on tensor routes, {model.TextThreshold:0.####} on LLM routes (each flags {(study.FalsePositiveRate > 0 ? $"at most {study.FalsePositiveRate:P2} of" : "none of")} its kind's separate benign clients; {model.BenignMaxScores.Length} in all, {study.TuningClients} per family)"));
        }

        return 0;
    }

    private static void PrintSummary(string path, string manifestPath, AnomalyTrainingResult result, AnomalyTreeSettings settings)
    {
        var m = result.Metrics;
        var auc = m.HoldoutAuc is { } value
            ? value.ToString("F4", CultureInfo.InvariantCulture)
            : "not measured (the held-out part needs both classes)";
        Console.WriteLine(
            $"Wrote {path}: {AnomalyTrainer.AlgorithmName}, {settings.Trees} trees of {settings.Leaves} leaves, " +
            $"{m.Rows} rows ({m.Positives} attacks), {AnomalyFeatures.Count} features, schema version {AnomalyFeatures.SchemaVersion}");
        Console.WriteLine($"Held out: {m.HoldoutRows} rows ({m.HoldoutPositives} attacks), AUC {auc}");
        Console.WriteLine($"Manifest: {manifestPath}");
        Console.WriteLine($"SHA-256: {result.Sha256}");
        Console.WriteLine("Pin it in the gateway configuration (under \"AiGuard\"):");
        Console.WriteLine(
            $$"""
              "Anomaly": {
                "Model": {
                  "Path": "{{path}}",
                  "Sha256": "{{result.Sha256}}",
                  "ExpectedFeatureSchemaVersion": "{{AnomalyFeatures.SchemaVersion}}"
                }
              }
            """);
    }
}
