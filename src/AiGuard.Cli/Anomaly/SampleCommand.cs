using System.CommandLine;
using System.Globalization;
using AiGuard.Training.Simulation.Victims;

namespace AiGuard.Cli.Anomaly;

/// <summary>
/// <c>aiguard anomaly sample</c>: writes natural inputs of a simulation victim as JSON lines, the
/// format <c>aiguard anomaly reference</c> reads (how the demo model's reference is made).
/// </summary>
internal static class SampleCommand
{
    public static Command Create()
    {
        var victim = new Option<string>("--victim") { Description = $"Simulation victim: {string.Join(", ", TensorVictims.Names)}", Required = true };
        var rows = new Option<int>("--rows") { Description = "Inputs to draw", DefaultValueFactory = _ => 512 };
        var seed = new Option<int>("--seed") { Description = "Random seed", DefaultValueFactory = _ => 1 };
        var output = new Option<FileInfo>("--out") { Description = "JSON-lines file to write (one array of numbers per line)", Required = true };
        var command = new Command("sample", "Write natural inputs of a simulation victim (the demo classifier or the glyphs) as JSON lines, one input per line");
        command.Options.Add(victim);
        command.Options.Add(rows);
        command.Options.Add(seed);
        command.Options.Add(output);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var model = TensorVictims.Get(parse.GetValue(victim)!);
            var count = parse.GetValue(rows);
            if (count < 1)
            {
                throw new ArgumentException("--rows must be at least 1.");
            }

            var random = new Random(parse.GetValue(seed));
            var row = new float[model.InputSize];
            var path = parse.GetValue(output)!.FullName;
            using (var writer = new StreamWriter(path))
            {
                for (var i = 0; i < count; i++)
                {
                    model.SampleNatural(random, row);
                    writer.Write('[');
                    writer.Write(string.Join(',', row.Select(v => v.ToString("R", CultureInfo.InvariantCulture))));
                    writer.WriteLine(']');
                }
            }

            Console.WriteLine($"Wrote {count} natural inputs of {model.Name} ({model.InputSize} values each) to {path}");
            return 0;
        }));
        return command;
    }
}
