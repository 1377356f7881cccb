using Baton.Data;

namespace Baton.Tests.Classify;

public sealed class LabeledSequencesTests
{
    private static CsvTable Parse(string text) => CsvTable.Read(new StringReader(text), "data.csv");

    private static SequenceDataException Bad(string text, string id = "id", string? label = "label", string? time = null, params string[] features) =>
        Assert.Throws<SequenceDataException>(() => LabeledSequences.FromTable(Parse(text), id, label, time, features));

    [Fact]
    public void Rows_are_grouped_by_id_in_first_appearance_order_and_sorted_by_time()
    {
        var table = Parse("id,t,x,y,label\nb,2,20,0.5,up\na,1,1,1,down\nb,1,10,0.25,up\na,0,0,2,down\nb,3,30,1,up\n");
        var data = LabeledSequences.FromTable(table, "id", "label", "t", []);
        Assert.Equal(["b", "a"], data.Ids);
        Assert.Equal(["x", "y"], data.FeatureNames);
        Assert.Equal([10f, 0.25f, 20f, 0.5f, 30f, 1f], data.Features[0]);
        Assert.Equal([0f, 2f, 1f, 1f], data.Features[1]);
        Assert.Equal(["up", "down"], data.Labels!);
        Assert.Equal(3, data.Length(0));
        Assert.Equal([4, 5], data.FirstLines);   // the line of each sequence's first step in time
    }

    [Fact]
    public void Without_a_time_column_rows_keep_file_order_and_default_features_skip_text_columns()
    {
        var data = LabeledSequences.FromTable(Parse("id,x,note,label\n1,3,hi,a\n1,1,yo,a\n2,2,z,b\n"), "id", "label", null, []);
        Assert.Equal(["x"], data.FeatureNames);
        Assert.Equal([3f, 1f], data.Features[0]);
    }

    [Fact]
    public void A_label_that_changes_within_a_sequence_names_the_sequence_and_both_lines()
    {
        var e = Bad("id,x,label\n7,1,a\n8,1,b\n7,2,b\n");
        Assert.Equal("data.csv line 4: the label of sequence '7' changes from 'a' (line 2) to 'b'.", e.Message);
    }

    [Fact]
    public void A_non_numeric_or_missing_feature_names_the_line_and_column()
    {
        Assert.Equal("data.csv line 3, column 'x': 'abc' is not a number.", Bad("id,x,label\n1,1,a\n1,abc,a\n", features: "x").Message);
        Assert.Equal("data.csv line 2, column 'x': missing value.", Bad("id,x,label\n1,,a\n", features: "x").Message);
    }

    [Fact]
    public void Missing_columns_empty_ids_and_repeated_times_are_refused()
    {
        Assert.StartsWith("data.csv: no column named 'seq' for --id", Bad("id,x,label\n1,1,a\n", id: "seq").Message);
        Assert.StartsWith("data.csv: no column named 'cls' for --label", Bad("id,x,label\n1,1,a\n", label: "cls").Message);
        Assert.StartsWith("data.csv: no column named 'z' for --features", Bad("id,x,label\n1,1,a\n", features: "z").Message);
        Assert.Equal("data.csv line 3: empty id in column 'id'.", Bad("id,x,label\n1,1,a\n ,2,a\n").Message);
        Assert.Equal("data.csv line 3: sequence '1' has time '0' twice (also line 2).", Bad("id,t,x,label\n1,0,1,a\n1,0,2,a\n", time: "t").Message);
        Assert.Equal("data.csv: no rows after the header.", Bad("id,x,label\n").Message);
    }

    [Fact]
    public void Class_names_sort_numerically_when_every_label_is_a_number()
    {
        Assert.Equal(["2", "10", "11"], LabeledSequences.ClassNames(["10", "2", "11", "2"]));
        Assert.Equal(["10", "2", "b"], LabeledSequences.ClassNames(["b", "2", "10"]));
    }
}
