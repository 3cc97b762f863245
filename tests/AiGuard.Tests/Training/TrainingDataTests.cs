using AiGuard.Anomaly;
using AiGuard.Training;
using AiGuard.Training.Features;

namespace AiGuard.Tests.Training;

public class TrainingDataTests
{
    [Fact]
    public void Table_columns_in_any_order_become_rows_in_the_gateways_feature_order()
    {
        var table = SyntheticFeatureTable.Generate(20, seed: 1);
        var reversed = table.SelectColumns([.. AnomalyFeatures.Names.Reverse()]);

        var rows = TrainingData.FromTable(reversed);

        Assert.Equal(20, rows.Count);
        for (var r = 0; r < rows.Count; r++)
        {
            Assert.Equal(table.Row(r).ToArray(), rows[r].Features);
            Assert.Equal(table.Labels[r] == 1f, rows[r].Attack);
            Assert.Equal(1f, rows[r].Weight);
        }
    }

    [Fact]
    public void A_table_without_labels_a_missing_feature_or_a_foreign_column_is_refused()
    {
        var names = AnomalyFeatures.Names;
        var unlabelled = new FeatureTable(names, new float[names.Count], null);
        var missing = new FeatureTable(names.Skip(1).ToArray(), new float[names.Count - 1], [0f]);
        var foreign = new FeatureTable([.. names, "requests_per_minute"], new float[names.Count + 1], [0f]);

        Assert.Contains("no 'label' column", Assert.Throws<InvalidDataException>(() => TrainingData.FromTable(unlabelled)).Message, StringComparison.Ordinal);
        Assert.Contains("queries_log", Assert.Throws<InvalidDataException>(() => TrainingData.FromTable(missing)).Message, StringComparison.Ordinal);
        Assert.StartsWith(
            $"The table has column(s) requests_per_minute that are not features of schema version {AnomalyFeatures.SchemaVersion}",
            Assert.Throws<InvalidDataException>(() => TrainingData.FromTable(foreign)).Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public void Split_holds_out_the_share_of_each_class_by_seed_and_keeps_row_order()
    {
        var rows = TrainingData.FromTable(SyntheticFeatureTable.Generate(1000, seed: 2));
        var attacks = rows.Count(r => r.Attack);

        var (training, holdout) = TrainingData.Split(rows, 0.2, seed: 3);
        var again = TrainingData.Split(rows, 0.2, seed: 3);
        var other = TrainingData.Split(rows, 0.2, seed: 4);

        Assert.Equal(rows.Count, training.Count + holdout.Count);
        Assert.Equal((int)Math.Round(attacks * 0.2), holdout.Count(r => r.Attack));
        Assert.Equal((int)Math.Round((rows.Count - attacks) * 0.2), holdout.Count(r => !r.Attack));
        Assert.Equal(rows.Where(training.Contains), training);
        Assert.Equal(holdout, again.Holdout);
        Assert.NotEqual(holdout, other.Holdout);
        Assert.Empty(TrainingData.Split(rows, 0, seed: 3).Holdout);
    }

    [Fact]
    public void Synthetic_table_is_reproducible_from_its_seed_and_has_about_the_asked_share_of_attacks()
    {
        var a = SyntheticFeatureTable.Generate(2000, seed: 5, attackFraction: 0.25);
        var b = SyntheticFeatureTable.Generate(2000, seed: 5, attackFraction: 0.25);

        Assert.Equal(a.Values.ToArray(), b.Values.ToArray());
        Assert.Equal(a.Labels.ToArray(), b.Labels.ToArray());
        Assert.Equal(AnomalyFeatures.Names, a.FeatureNames);
        Assert.InRange(a.Labels.ToArray().Average(), 0.22, 0.28);
    }
}
