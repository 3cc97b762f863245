using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using System.Text;
using AiGuard.Training.Evaluation;
using Spectre.Console;

namespace AiGuard.Cli.Anomaly;

/// <summary>
/// <c>aiguard anomaly eval</c>: simulated attack and benign clients, a model trained on one
/// victim, its threshold tuned on other clients, and detection reported three ways: on the
/// training victim, on another victim, and for each attack family left out of training.
/// </summary>
internal static class EvaluateCommand
{
    public static Command Create()
    {
        var defaults = new StudyOptions();
        var clients = new Option<int>("--clients-per-family") { Description = "Simulated clients per family and victim in each set", DefaultValueFactory = _ => defaults.ClientsPerFamily };
        var maxQueries = new Option<int>("--max-queries") { Description = "Requests per client at most", DefaultValueFactory = _ => defaults.MaxQueries };
        var tuningClients = new Option<int?>("--tuning-clients-per-family") { Description = "Benign clients per family the thresholds are tuned on (default: four times --clients-per-family)" };
        var seed = new Option<int>("--seed") { Description = "Base seed: training clients use it, tuning clients seed+1, test clients seed+2", DefaultValueFactory = _ => defaults.Seed };
        var markdown = new Option<FileInfo?>("--markdown") { Description = "Also write the report as markdown to this file" };
        var leaveOut = new Option<bool>("--leave-one-out") { Description = "Also train once without each attack family and test on it", DefaultValueFactory = _ => true };
        var surrogate = new Option<int[]>("--surrogate-queries")
        {
            Description = "Query counts of the Knockoff surrogate-fidelity table",
            DefaultValueFactory = _ => [50, 200, 1000, 5000],
            AllowMultipleArgumentsPerToken = true,
        };
        var model = new Option<FileInfo?>("--model")
        {
            Description = "Evaluate this model (with its manifest's recommended thresholds) on test clients of every victim instead of training one",
        };
        var command = new Command("eval", "Evaluate the anomaly engine on simulated traffic: per family, share flagged and requests to the first flag")
        {
            clients, maxQueries, tuningClients, seed, markdown, leaveOut, surrogate, model,
        };
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var options = defaults with
            {
                ClientsPerFamily = parse.GetValue(clients),
                TuningClientsPerFamily = parse.GetValue(tuningClients),
                MaxQueries = parse.GetValue(maxQueries),
                Seed = parse.GetValue(seed),
            };
            var report = parse.GetValue(model) is { } given
                ? RunModel(options, given.FullName)
                : Run(options, parse.GetValue(leaveOut), parse.GetValue(surrogate) ?? []);
            Console.WriteLine(report);
            if (parse.GetValue(markdown) is { } file)
            {
                File.WriteAllText(file.FullName, report);
                Console.WriteLine($"Wrote {file.FullName}");
            }

            return 0;
        }));
        return command;
    }

    private static string Run(StudyOptions options, bool leaveOneOut, int[] surrogateQueries)
    {
        var started = Stopwatch.GetTimestamp();
        var main = new TrafficPlan { ClientsPerFamily = options.ClientsPerFamily, MaxQueries = options.MaxQueries, Victims = ["demo-classifier"] };
        var other = main with { Victims = ["glyphs"], Chat = false };
        var text = new StringBuilder();
        IReadOnlyList<ClientTrace> training = [], tuning = [], testing = [], otherTesting = [];
        WithProgress(progress =>
        {
            training = Simulate(progress, "training clients", main with { Seed = options.Seed });
            tuning = Simulate(progress, "benign tuning clients", AnomalyStudy.TuningPlan(main, options));
            testing = Simulate(progress, "test clients", main with { Seed = options.Seed + 2 });
            otherTesting = Simulate(progress, "test clients, other victim", other with { Seed = options.Seed + 2 });
        });

        text.AppendLine("# Anomaly engine: detection on simulated traffic");
        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"`aiguard anomaly eval --clients-per-family {options.ClientsPerFamily} --max-queries {options.MaxQueries} --seed {options.Seed}`: " +
            $"{training.Count} training clients ({training.Sum(t => t.Rows.Length)} requests) on the demo classifier (4 inputs, 3 classes) and the toy LLM, " +
            $"thresholds tuned, for tensor and for LLM clients apart, to flag {(options.FalsePositiveRate > 0 ? $"at most {options.FalsePositiveRate:P2} of" : "none of")} {tuning.Count} separate benign clients ({options.TuningClients} per family; seed {options.Seed + 1}), " +
            $"reported on clients of seed {options.Seed + 2} that neither training nor tuning saw. Model: {options.Trees.Trees} trees of {options.Trees.Leaves} leaves; scored from request {options.MinRequests} on.");
        text.AppendLine();

        using (var model = Train("model on the demo classifier and the toy LLM", training, tuning, options))
        {
            text.AppendLine("## 1. On the training victim (demo classifier) and the toy LLM");
            text.AppendLine();
            text.AppendLine(DetectionReport.Markdown(AnomalyStudy.Test(model, testing, options), model.TensorThreshold, model.TextThreshold));
            text.AppendLine("## 2. On a victim the model never saw (glyphs: 256 inputs in 0..255, 10 classes)");
            text.AppendLine();
            text.AppendLine(DetectionReport.Markdown(AnomalyStudy.Test(model, otherTesting, options), model.TensorThreshold, model.TextThreshold));
        }

        if (leaveOneOut)
        {
            text.AppendLine("## 3. Each attack family left out of training");
            text.AppendLine();
            text.AppendLine("One model per row, trained without that family (and tuned without it); tested on that family's test clients only.");
            text.AppendLine();
            text.AppendLine($"| left-out family | clients | flagged | flagged within {DetectionReport.Within} | median requests to flag | p95 requests to flag | threshold |");
            text.AppendLine("|---|---:|---:|---:|---:|---:|---:|");
            var families = training.Where(t => t.Spec.IsAttack).Select(t => DetectionReport.Label(t.Spec)).Distinct().ToArray();
            foreach (var family in families)
            {
                bool Keep(ClientTrace t) => DetectionReport.Label(t.Spec) != family;
                using var model = Train($"model without {family}", [.. training.Where(Keep)], tuning, options);
                var left = testing.Where(t => !Keep(t)).ToArray();
                var result = AnomalyStudy.Test(model, left, options).Single();
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"| {family} | {result.Clients} | {result.Flagged:P1} | {result.Within:P1} | {Number(result.QueriesMedian)} | {Number(result.QueriesP95)} | {model.ThresholdFor(left[0].Spec):0.####} |");
            }

            text.AppendLine();
        }

        text.AppendLine("## 4. Extraction that looks like a heavy user: what hardening leaves the attacker");
        text.AppendLine();
        text.AppendLine("Knockoff-style extraction with natural in-distribution inputs cannot be told apart from a heavy legitimate user by content alone. " +
            "What bounds it is volume (rate limits, token budgets, the engine's throttle) and what each answer reveals. " +
            "A surrogate (softmax regression on the answers as soft labels) is trained on what the attacker collected; fidelity is its agreement with the victim's top class " +
            "on 2,000 fresh natural inputs and on 2,000 uniform random inputs of the valid range (Tramer et al.'s R_test and R_unif as agreement).");
        text.AppendLine();
        text.AppendLine("| victim | queries | full answers: natural / uniform | rounded to 1 decimal, top-1 (the demo's harden action) / uniform | label only / uniform |");
        text.AppendLine("|---|---:|---:|---:|---:|");
        foreach (var victim in new[] { "demo-classifier", "glyphs" })
        {
            foreach (var queries in surrogateQueries)
            {
                var model = AiGuard.Training.Simulation.Victims.TensorVictims.Get(victim);
                var full = SurrogateFidelity.Measure(model, queries, null, options.Seed);
                var rounded = SurrogateFidelity.Measure(model, queries, new AiGuard.Inspection.Output.OutputHardening(1, 1, false, []), options.Seed);
                var label = SurrogateFidelity.Measure(model, queries, AiGuard.Inspection.Output.OutputHardening.Label, options.Seed);
                text.AppendLine(CultureInfo.InvariantCulture,
                    $"| {victim} | {queries} | {full.Natural:P1} / {full.Uniform:P1} | {rounded.Natural:P1} / {rounded.Uniform:P1} | {label.Natural:P1} / {label.Uniform:P1} |");
            }
        }

        text.AppendLine();
        text.AppendLine(CultureInfo.InvariantCulture, $"Run time {Stopwatch.GetElapsedTime(started).TotalMinutes:0.0} min on {Environment.ProcessorCount} cores.");
        return text.ToString();
    }

    /// <summary>A given model (the shipped one) on fresh test clients of every victim and the toy LLM.</summary>
    private static string RunModel(StudyOptions options, string path)
    {
        using var scorer = AiGuard.Anomaly.AnomalyScorer.Load(new AiGuard.Anomaly.AnomalyModelOptions { Path = path });
        var tensorThreshold = scorer.Manifest?.Training?.RecommendedThreshold
            ?? throw new InvalidOperationException($"The model '{path}' has no recommended_threshold in its manifest.");
        var textThreshold = scorer.Manifest?.Training?.RecommendedTextThreshold ?? tensorThreshold;
        var plan = new TrafficPlan { ClientsPerFamily = options.ClientsPerFamily, MaxQueries = options.MaxQueries, Seed = options.Seed + 2 };
        IReadOnlyList<ClientTrace> testing = [];
        WithProgress(progress => testing = Simulate(progress, "test clients", plan));
        var (_, first) = DetectionReport.Score(scorer, testing, c => TunedModel.ThresholdFor(c, tensorThreshold, textThreshold), options.MinRequests);
        var text = new StringBuilder();
        text.AppendLine(CultureInfo.InvariantCulture,
            $"`aiguard anomaly eval --model {Path.GetFileName(path)} --clients-per-family {options.ClientsPerFamily} --max-queries {options.MaxQueries} --seed {options.Seed}`: " +
            $"{testing.Count} test clients (seed {options.Seed + 2}) of every victim and the toy LLM, at the manifest's recommended thresholds.");
        text.AppendLine();
        text.AppendLine(DetectionReport.Markdown(DetectionReport.Summarize(testing, first), tensorThreshold, textThreshold));
        return text.ToString();
    }

    /// <summary>Runs <paramref name="simulate"/> under one progress display with a bar per simulated set.</summary>
    internal static void WithProgress(Action<ProgressContext> simulate) =>
        AnsiConsole.Progress().Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn()).Start(simulate);

    /// <summary>Simulates the clients of <paramref name="plan"/>, one bar advancing per finished client.</summary>
    internal static IReadOnlyList<ClientTrace> Simulate(ProgressContext progress, string name, TrafficPlan plan)
    {
        var specs = plan.Clients();
        var task = progress.AddTask($"Simulating {specs.Count} {name}", maxValue: specs.Count);
        return SimulatedTraffic.Run(specs, _ => task.Increment(1));
    }

    private static TunedModel Train(string what, IReadOnlyList<ClientTrace> training, IReadOnlyList<ClientTrace> tuning, StudyOptions options)
    {
        TunedModel? model = null;
        AnsiConsole.Status().Start($"Training the {what}", _ => model = AnomalyStudy.TrainAndTune(training, tuning, options));
        return model!;
    }

    private static string Number(double? value) => value is { } v ? v.ToString("0", CultureInfo.InvariantCulture) : "-";
}
