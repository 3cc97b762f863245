using AiGuard.Training.Features;

namespace AiGuard.Tests.Training;

public class FeatureTableReaderTests
{
    [Fact]
    public void Csv_with_a_label_column_gives_features_and_labels()
    {
        var table = FeatureTableReader.ReadCsv(new StringReader("rate,label,burst\n1.5,0,2\n3,1,4\n"), "t.csv");

        Assert.Equal(["rate", "burst"], table.FeatureNames);
        Assert.Equal([1.5f, 2f, 3f, 4f], table.Values.ToArray());
        Assert.Equal([0f, 1f], table.Labels.ToArray());
    }

    [Fact]
    public void Csv_error_names_the_line_and_the_column()
    {
        var error = Assert.Throws<InvalidDataException>(() => FeatureTableReader.ReadCsv(new StringReader("rate,burst\n1,2\n3,abc\n"), "t.csv"));

        Assert.Equal("t.csv line 3, column 'burst': 'abc' is not a finite number.", error.Message);
    }

    [Fact]
    public void Csv_row_with_the_wrong_number_of_values_is_refused_with_its_line()
    {
        var error = Assert.Throws<InvalidDataException>(() => FeatureTableReader.ReadCsv(new StringReader("a,b\n1,2\n3\n"), "t.csv"));

        Assert.Contains("line 3", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Label_other_than_0_or_1_is_refused_with_its_line()
    {
        var error = Assert.Throws<InvalidDataException>(() => FeatureTableReader.ReadCsv(new StringReader("a,label\n1,0\n2,2\n"), "t.csv"));

        Assert.Contains("line 3, column 'label'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Jsonl_rows_are_read_in_the_first_lines_column_order()
    {
        var table = FeatureTableReader.ReadJsonl(new StringReader("{\"a\":1,\"b\":2}\n\n{\"b\":4,\"a\":3}\n"), "t.jsonl");

        Assert.Equal(["a", "b"], table.FeatureNames);
        Assert.Equal([1f, 2f, 3f, 4f], table.Values.ToArray());
        Assert.False(table.HasLabels);
    }

    [Fact]
    public void Jsonl_error_names_the_line_and_the_column()
    {
        var error = Assert.Throws<InvalidDataException>(() => FeatureTableReader.ReadJsonl(new StringReader("{\"a\":1}\n{\"a\":\"x\"}\n"), "t.jsonl"));

        Assert.Contains("t.jsonl line 2, column 'a'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Written_csv_reads_back_to_the_same_table()
    {
        var table = SyntheticFeatureTable.Generate(200, seed: 3);
        var csv = new StringWriter();
        FeatureTableWriter.WriteCsv(table, csv);

        var read = FeatureTableReader.ReadCsv(new StringReader(csv.ToString()), "t.csv");

        Assert.Equal(table.FeatureNames, read.FeatureNames);
        Assert.Equal(table.Values.ToArray(), read.Values.ToArray());
        Assert.Equal(table.Labels.ToArray(), read.Labels.ToArray());
    }

    [Fact]
    public void Selecting_columns_in_a_models_order_reorders_values_and_names_missing_ones()
    {
        var table = FeatureTableReader.ReadCsv(new StringReader("a,b\n1,2\n"), "t.csv");

        Assert.Equal([2f, 1f], table.SelectColumns(["b", "a"]).Values.ToArray());
        var error = Assert.Throws<InvalidDataException>(() => table.SelectColumns(["a", "c"]));
        Assert.Contains("c", error.Message, StringComparison.Ordinal);
    }
}
