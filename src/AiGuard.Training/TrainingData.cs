using AiGuard.Anomaly;
using AiGuard.Training.Features;

namespace AiGuard.Training;

/// <summary>Turns a labelled feature table into training rows and splits off a held-out part.</summary>
public static class TrainingData
{
    /// <summary>
    /// The table's rows in <see cref="AnomalyFeatures"/> column order, label 1 = attack. The
    /// table must have every feature of schema <see cref="AnomalyFeatures.SchemaVersion"/>, in any
    /// order, a <c>label</c> column, and no other column (one would mean another schema).
    /// </summary>
    public static IReadOnlyList<LabelledRow> FromTable(FeatureTable table)
    {
        ArgumentNullException.ThrowIfNull(table);
        if (!table.HasLabels)
        {
            throw new InvalidDataException(
                $"The table has no '{FeatureTable.LabelColumn}' column: training needs every row labelled 1 (attack) or 0 (benign).");
        }

        var unknown = table.FeatureNames.Where(n => !AnomalyFeatures.Names.Contains(n)).ToList();
        if (unknown.Count > 0)
        {
            throw new InvalidDataException(
                $"The table has column(s) {string.Join(", ", unknown)} that are not features of schema version {AnomalyFeatures.SchemaVersion} " +
                $"(which has {string.Join(", ", AnomalyFeatures.Names)}).");
        }

        var ordered = table.SelectColumns(AnomalyFeatures.Names);
        var rows = new LabelledRow[ordered.RowCount];
        for (var r = 0; r < rows.Length; r++)
        {
            rows[r] = new LabelledRow(ordered.Row(r).ToArray(), ordered.Labels[r] == 1f);
        }

        return rows;
    }

    /// <summary>
    /// Holds out <paramref name="holdoutFraction"/> of each class (rounded), chosen by
    /// <paramref name="seed"/>; both parts keep the rows' order.
    /// </summary>
    public static (IReadOnlyList<LabelledRow> Training, IReadOnlyList<LabelledRow> Holdout) Split(
        IReadOnlyList<LabelledRow> rows, double holdoutFraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(rows);
        if (holdoutFraction is not (>= 0 and < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(holdoutFraction), holdoutFraction, "must be in [0, 1)");
        }

        var random = new Random(seed);
        var heldOut = new bool[rows.Count];
        foreach (var attack in new[] { false, true })
        {
            var indices = Enumerable.Range(0, rows.Count).Where(i => rows[i].Attack == attack).ToArray();
            random.Shuffle(indices);
            foreach (var i in indices.AsSpan(0, (int)Math.Round(indices.Length * holdoutFraction)))
            {
                heldOut[i] = true;
            }
        }

        return ([.. rows.Where((_, i) => !heldOut[i])], [.. rows.Where((_, i) => heldOut[i])]);
    }
}
