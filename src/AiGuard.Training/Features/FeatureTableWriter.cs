using System.Globalization;

namespace AiGuard.Training.Features;

/// <summary>Writes a <see cref="FeatureTable"/> as CSV that <see cref="FeatureTableReader"/> reads back.</summary>
public static class FeatureTableWriter
{
    public static void WriteCsv(FeatureTable table, TextWriter writer)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(writer);
        writer.Write(string.Join(',', table.FeatureNames));
        if (table.HasLabels)
        {
            writer.Write(',');
            writer.Write(FeatureTable.LabelColumn);
        }

        writer.Write('\n');
        for (var r = 0; r < table.RowCount; r++)
        {
            for (var c = 0; c < table.FeatureCount; c++)
            {
                if (c > 0)
                {
                    writer.Write(',');
                }

                // "R" round-trips float32 exactly, so the written table trains the same model.
                writer.Write(table[r, c].ToString("R", CultureInfo.InvariantCulture));
            }

            if (table.HasLabels)
            {
                writer.Write(',');
                writer.Write(table.Labels[r].ToString("R", CultureInfo.InvariantCulture));
            }

            writer.Write('\n');
        }
    }
}
