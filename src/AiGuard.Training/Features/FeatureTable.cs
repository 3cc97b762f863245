namespace AiGuard.Training.Features;

/// <summary>
/// Per-client feature vectors in row-major float32, with optional 0/1 labels. Read from CSV or
/// JSONL by <see cref="FeatureTableReader"/>.
/// </summary>
public sealed class FeatureTable
{
    /// <summary>The column that holds labels; every other column is a feature.</summary>
    public const string LabelColumn = "label";

    private readonly float[] _values;
    private readonly float[]? _labels;

    public FeatureTable(IReadOnlyList<string> featureNames, float[] values, float[]? labels)
    {
        ArgumentNullException.ThrowIfNull(featureNames);
        ArgumentNullException.ThrowIfNull(values);
        if (featureNames.Count == 0)
        {
            throw new ArgumentException("A feature table needs at least one feature column.", nameof(featureNames));
        }

        if (values.Length % featureNames.Count != 0)
        {
            throw new ArgumentException("The value count is not a multiple of the feature count.", nameof(values));
        }

        FeatureNames = featureNames;
        _values = values;
        RowCount = values.Length / featureNames.Count;
        if (labels is not null && labels.Length != RowCount)
        {
            throw new ArgumentException($"{labels.Length} labels for {RowCount} rows.", nameof(labels));
        }

        _labels = labels;
    }

    public IReadOnlyList<string> FeatureNames { get; }

    public int FeatureCount => FeatureNames.Count;

    public int RowCount { get; }

    public bool HasLabels => _labels is not null;

    /// <summary>All values, row after row.</summary>
    public ReadOnlySpan<float> Values => _values;

    public ReadOnlySpan<float> Labels => _labels ?? throw new InvalidOperationException("The table has no label column.");

    public ReadOnlySpan<float> Row(int index) => _values.AsSpan(index * FeatureCount, FeatureCount);

    public float this[int row, int feature] => _values[(row * FeatureCount) + feature];

    /// <summary>
    /// The same rows with columns reordered to <paramref name="names"/> (a model's feature order);
    /// names missing from the table are one clear error.
    /// </summary>
    public FeatureTable SelectColumns(IReadOnlyList<string> names)
    {
        ArgumentNullException.ThrowIfNull(names);
        var map = new int[names.Count];
        var missing = new List<string>();
        for (var i = 0; i < names.Count; i++)
        {
            map[i] = FeatureNames.IndexOf(names[i]);
            if (map[i] < 0)
            {
                missing.Add(names[i]);
            }
        }

        if (missing.Count > 0)
        {
            throw new InvalidDataException(
                $"The table lacks the model's feature column(s) {string.Join(", ", missing)}; it has {string.Join(", ", FeatureNames)}.");
        }

        var values = new float[RowCount * names.Count];
        for (var r = 0; r < RowCount; r++)
        {
            for (var c = 0; c < names.Count; c++)
            {
                values[(r * names.Count) + c] = this[r, map[c]];
            }
        }

        return new FeatureTable(names, values, _labels);
    }
}

internal static class ReadOnlyListExtensions
{
    public static int IndexOf(this IReadOnlyList<string> list, string value)
    {
        for (var i = 0; i < list.Count; i++)
        {
            if (string.Equals(list[i], value, StringComparison.Ordinal))
            {
                return i;
            }
        }

        return -1;
    }
}
