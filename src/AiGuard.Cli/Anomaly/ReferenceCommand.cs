using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using AiGuard.Anomaly;

namespace AiGuard.Cli.Anomaly;

/// <summary>
/// <c>aiguard anomaly reference</c>: builds a model's reference of legitimate inputs from a
/// sample of its requests, for <c>AiGuard:Anomaly:References</c>.
/// </summary>
internal static class ReferenceCommand
{
    public static Command Create()
    {
        var input = new Option<FileInfo>("--input")
        {
            Description = "Sample of legitimate inputs, one JSON value per line: an array of numbers (one row), an Open Inference v2 infer body, or a TF-Serving predict body",
            Required = true,
        };
        var output = new Option<FileInfo>("--out") { Description = "Reference file to write", Required = true };
        var width = new Option<int?>("--width") { Description = "Values per row (default: the first row's)" };
        var command = new Command(
            "reference",
            "Build a model's reference of legitimate inputs (what the anomaly engine measures distances against) from a sample of its requests");
        command.Options.Add(input);
        command.Options.Add(output);
        command.Options.Add(width);
        command.SetAction(parse => CliErrors.Run(() =>
        {
            var source = parse.GetValue(input)!;
            var (rows, skipped, lines) = ReadRows(source.FullName, parse.GetValue(width));
            if (rows.Count < 2)
            {
                throw new InvalidDataException($"{source.Name} gave {rows.Count} usable row(s); a reference needs at least 2 (ideally hundreds).");
            }

            var reference = TensorReference.Build(rows[0].Length, rows)
                ?? throw new InvalidDataException($"The {rows.Count} rows of {source.Name} never vary; they say nothing about legitimate inputs.");
            var path = parse.GetValue(output)!.FullName;
            using (var stream = File.Create(path))
            {
                reference.Save(stream);
            }

            Console.WriteLine(string.Create(
                CultureInfo.InvariantCulture,
                $"Wrote a reference of {rows.Count} rows x {reference.Width} values (from {lines} lines; {skipped} rows of another width skipped; typical distance {reference.Typical:G4}) to {path}"));
            if (rows.Count < 100)
            {
                Console.WriteLine("note: fewer than 100 rows; a few hundred varied inputs give a steadier reference.");
            }

            return 0;
        }));
        return command;
    }

    /// <summary>Rows of one width from a JSON-lines sample; a line that is not JSON is an error naming it.</summary>
    internal static (List<double[]> Rows, int Skipped, int Lines) ReadRows(string path, int? width)
    {
        var rows = new List<double[]>();
        var skipped = 0;
        var lines = 0;
        foreach (var line in File.ReadLines(path))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            lines++;
            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(line);
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"Line {lines} of {Path.GetFileName(path)} is not JSON: {e.Message}");
            }

            using (document)
            {
                foreach (var row in RowsOf(document.RootElement))
                {
                    width ??= row.Length;
                    if (row.Length == width && row.Length > 0)
                    {
                        rows.Add(row);
                    }
                    else
                    {
                        skipped++;
                    }
                }
            }
        }

        return (rows, skipped, lines);
    }

    private static IEnumerable<double[]> RowsOf(JsonElement root)
    {
        if (root.ValueKind == JsonValueKind.Array)
        {
            yield return Flatten(root);
            yield break;
        }

        if (root.ValueKind != JsonValueKind.Object)
        {
            yield break;
        }

        // Open Inference v2: the first input's data, split into rows along its first dimension.
        if (root.TryGetProperty("inputs", out var inputs) && inputs.ValueKind == JsonValueKind.Array
            && inputs.GetArrayLength() > 0 && inputs[0].ValueKind == JsonValueKind.Object
            && inputs[0].TryGetProperty("data", out var data))
        {
            var values = Flatten(data);
            var batch = inputs[0].TryGetProperty("shape", out var shape) && shape.ValueKind == JsonValueKind.Array
                && shape.GetArrayLength() >= 2 && shape[0].TryGetInt64(out var first) && first > 0 && values.Length % first == 0
                ? (int)first : 1;
            var rowWidth = values.Length / batch;
            for (var r = 0; r < batch; r++)
            {
                yield return values[(r * rowWidth)..((r + 1) * rowWidth)];
            }

            yield break;
        }

        // TF-Serving: each instance (row format) or each element of "inputs" (columnar) is a row.
        if ((root.TryGetProperty("instances", out var instances) || root.TryGetProperty("inputs", out instances))
            && instances.ValueKind == JsonValueKind.Array)
        {
            foreach (var instance in instances.EnumerateArray())
            {
                yield return Flatten(instance);
            }
        }
    }

    private static double[] Flatten(JsonElement element)
    {
        var values = new List<double>();
        void Walk(JsonElement e)
        {
            switch (e.ValueKind)
            {
                case JsonValueKind.Array:
                    foreach (var item in e.EnumerateArray())
                    {
                        Walk(item);
                    }

                    break;
                case JsonValueKind.Number:
                    values.Add(e.GetDouble());
                    break;
                case JsonValueKind.True:
                    values.Add(1);
                    break;
                case JsonValueKind.False:
                    values.Add(0);
                    break;
                default:
                    break;
            }
        }

        Walk(element);
        return [.. values];
    }
}
