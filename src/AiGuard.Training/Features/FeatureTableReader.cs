using System.Globalization;
using System.Text.Json;

namespace AiGuard.Training.Features;

/// <summary>
/// Reads a <see cref="FeatureTable"/> from CSV (header row, numbers only, no quoted commas) or
/// JSONL (one flat object of numbers per line). Every error names the source, line and column.
/// </summary>
public static class FeatureTableReader
{
    /// <summary>Chooses the format by extension: .jsonl/.ndjson, otherwise CSV.</summary>
    public static FeatureTable Read(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
        {
            throw new FileNotFoundException($"Feature table '{path}' does not exist.", path);
        }

        using var reader = new StreamReader(path);
        var name = Path.GetFileName(path);
        return Path.GetExtension(path).ToUpperInvariant() is ".JSONL" or ".NDJSON"
            ? ReadJsonl(reader, name)
            : ReadCsv(reader, name);
    }

    public static FeatureTable ReadCsv(TextReader reader, string source)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var header = reader.ReadLine() ?? throw new InvalidDataException($"{source}: the file is empty; expected a header row.");
        var columns = header.Split(',').Select(c => c.Trim().Trim('"')).ToArray();
        CheckColumns(columns, source);

        var builder = new TableBuilder(columns);
        var lineNumber = 1;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0)
            {
                continue;
            }

            var cells = line.Split(',');
            if (cells.Length != columns.Length)
            {
                throw new InvalidDataException(
                    $"{source} line {lineNumber}: {cells.Length} values, but the header has {columns.Length} columns.");
            }

            for (var c = 0; c < cells.Length; c++)
            {
                builder.Add(c, ParseNumber(cells[c].Trim(), source, lineNumber, columns[c]), source, lineNumber);
            }
        }

        return builder.Build(source);
    }

    public static FeatureTable ReadJsonl(TextReader reader, string source)
    {
        ArgumentNullException.ThrowIfNull(reader);
        TableBuilder? builder = null;
        string[] columns = [];
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            JsonDocument document;
            try
            {
                document = JsonDocument.Parse(line);
            }
            catch (JsonException e)
            {
                throw new InvalidDataException($"{source} line {lineNumber}: not valid JSON ({e.Message}).", e);
            }

            using (document)
            {
                if (document.RootElement.ValueKind != JsonValueKind.Object)
                {
                    throw new InvalidDataException($"{source} line {lineNumber}: expected a JSON object.");
                }

                if (builder is null)
                {
                    columns = document.RootElement.EnumerateObject().Select(p => p.Name).ToArray();
                    CheckColumns(columns, source);
                    builder = new TableBuilder(columns);
                }

                var seen = 0;
                foreach (var property in document.RootElement.EnumerateObject())
                {
                    var c = Array.IndexOf(columns, property.Name);
                    if (c < 0)
                    {
                        throw new InvalidDataException(
                            $"{source} line {lineNumber}, column '{property.Name}': not in the first line's columns ({string.Join(", ", columns)}).");
                    }

                    if (property.Value.ValueKind != JsonValueKind.Number || !property.Value.TryGetSingle(out var value) || !float.IsFinite(value))
                    {
                        throw new InvalidDataException(
                            $"{source} line {lineNumber}, column '{property.Name}': {property.Value.GetRawText()} is not a finite number.");
                    }

                    builder.Add(c, value, source, lineNumber);
                    seen++;
                }

                if (seen != columns.Length)
                {
                    throw new InvalidDataException(
                        $"{source} line {lineNumber}: {seen} values, but the first line has {columns.Length} columns.");
                }
            }
        }

        return builder?.Build(source) ?? throw new InvalidDataException($"{source}: the file has no rows.");
    }

    private static void CheckColumns(string[] columns, string source)
    {
        var duplicate = columns.GroupBy(c => c, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
        {
            throw new InvalidDataException($"{source}: column '{duplicate.Key}' appears more than once.");
        }

        if (columns.Any(string.IsNullOrEmpty))
        {
            throw new InvalidDataException($"{source}: the header has an empty column name.");
        }
    }

    private static float ParseNumber(string text, string source, int line, string column)
    {
        if (float.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) && float.IsFinite(value))
        {
            return value;
        }

        throw new InvalidDataException($"{source} line {line}, column '{column}': '{text}' is not a finite number.");
    }

    /// <summary>Collects cells in column order for one row at a time, then splits off labels.</summary>
    private sealed class TableBuilder(string[] columns)
    {
        private readonly int _labelIndex = Array.IndexOf(columns, FeatureTable.LabelColumn);
        private readonly List<float> _values = [];
        private readonly List<float> _labels = [];
        private readonly float[] _row = new float[columns.Length];
        private int _filled;

        public void Add(int column, float value, string source, int line)
        {
            if (column == _labelIndex && value is not (0f or 1f))
            {
                throw new InvalidDataException(
                    $"{source} line {line}, column '{FeatureTable.LabelColumn}': {value.ToString(CultureInfo.InvariantCulture)} is not 0 or 1.");
            }

            _row[column] = value;
            if (++_filled < columns.Length)
            {
                return;
            }

            _filled = 0;
            for (var c = 0; c < columns.Length; c++)
            {
                if (c == _labelIndex)
                {
                    _labels.Add(_row[c]);
                }
                else
                {
                    _values.Add(_row[c]);
                }
            }
        }

        public FeatureTable Build(string source)
        {
            var names = columns.Where((_, i) => i != _labelIndex).ToArray();
            if (names.Length == 0)
            {
                throw new InvalidDataException($"{source}: no feature columns (only '{FeatureTable.LabelColumn}').");
            }

            if (_values.Count == 0)
            {
                throw new InvalidDataException($"{source}: the file has no rows.");
            }

            return new FeatureTable(names, [.. _values], _labelIndex >= 0 ? [.. _labels] : null);
        }
    }
}
