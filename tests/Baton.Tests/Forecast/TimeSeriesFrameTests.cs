using Baton.Data;

namespace Baton.Tests.Forecast;

public sealed class TimeSeriesFrameTests
{
    private static TimeSeriesFrame Frame(string text, TimeSeriesFill fill = TimeSeriesFill.None, params string[] columns) =>
        TimeSeriesFrame.FromTable(CsvTable.Read(new StringReader(text), "data.csv"), "time",
            columns.Length == 0 ? ["x"] : columns, fill);

    private const string Header = "time,x,y\n";

    [Fact]
    public void A_missing_column_is_named()
    {
        var e = Assert.Throws<TimeSeriesDataException>(() => Frame(Header + "1,2,3\n2,3,4\n", TimeSeriesFill.None, "z"));
        Assert.Equal("data.csv: no column named 'z' (columns: time, x, y).", e.Message);
    }

    [Fact]
    public void A_non_numeric_cell_names_line_and_column()
    {
        var e = Assert.Throws<TimeSeriesDataException>(() => Frame(Header + "1,2,3\n2,abc,4\n3,4,5\n"));
        Assert.Equal("data.csv line 3, column 'x': 'abc' is not a number.", e.Message);
    }

    [Fact]
    public void A_missing_value_names_line_and_column_unless_a_fill_is_asked_for()
    {
        var e = Assert.Throws<TimeSeriesDataException>(() => Frame(Header + "1,2,3\n2,,4\n3,4,5\n"));
        Assert.StartsWith("data.csv line 3, column 'x': missing value", e.Message);
        Assert.DoesNotContain('\n', e.Message);
    }

    [Fact]
    public void Fill_forward_linear_and_zero_fill_gaps_as_documented()
    {
        const string Text = Header + "1,2,0\n2,NA,0\n3,,0\n4,8,0\n5,,1\n";
        Assert.Equal([2.0, 2, 2, 8, 8], Frame(Text, TimeSeriesFill.Forward).Column("x"));
        Assert.Equal([2.0, 4, 6, 8, 8], Frame(Text, TimeSeriesFill.Linear).Column("x"));
        Assert.Equal([2.0, 0, 0, 8, 0], Frame(Text, TimeSeriesFill.Zero).Column("x"));
    }

    [Fact]
    public void Forward_fill_cannot_fill_a_leading_gap()
    {
        var e = Assert.Throws<TimeSeriesDataException>(() => Frame(Header + "1,,0\n2,3,1\n", TimeSeriesFill.Forward));
        Assert.StartsWith("data.csv line 2, column 'x': missing value with nothing above it", e.Message);
    }

    [Fact]
    public void A_constant_column_is_rejected()
    {
        var e = Assert.Throws<TimeSeriesDataException>(() => Frame(Header + "1,2,5\n2,3,5\n3,4,5\n", TimeSeriesFill.None, "x", "y"));
        Assert.Equal("data.csv: column 'y' is constant (5 on every row); it cannot be scaled or forecast.", e.Message);
    }

    [Fact]
    public void Unsorted_times_are_rejected_with_the_line()
    {
        var e = Assert.Throws<TimeSeriesDataException>(() =>
            Frame("time,x\n2024-01-01T00:00:00,1\n2024-01-01T02:00:00,2\n2024-01-01T01:00:00,3\n"));
        Assert.Equal("data.csv line 4, column 'time': times are not sorted ('2024-01-01T01:00:00' comes after '2024-01-01T02:00:00').", e.Message);
    }

    [Fact]
    public void Duplicate_times_are_rejected_with_both_lines()
    {
        var e = Assert.Throws<TimeSeriesDataException>(() => Frame("time,x\n2024-01-01,1\n2024-01-02,2\n2024-01-02,3\n"));
        Assert.Equal("data.csv line 4, column 'time': duplicate time '2024-01-02' (also on line 3).", e.Message);
    }

    [Fact]
    public void Numeric_times_are_accepted_and_checked()
    {
        Assert.Equal(3, Frame("time,x\n1,1\n2,2\n3.5,4\n").Length);
        var e = Assert.Throws<TimeSeriesDataException>(() => Frame("time,x\n1,1\n1,2\n"));
        Assert.Contains("duplicate time '1'", e.Message);
    }

    [Fact]
    public void The_time_column_is_guessed_from_usual_names()
    {
        var table = CsvTable.Read(new StringReader("Date,x\n2024-01-01,1\n"), "d.csv");
        Assert.Equal("Date", TimeSeriesFrame.GuessTimeColumn(table));
        Assert.Null(TimeSeriesFrame.GuessTimeColumn(CsvTable.Read(new StringReader("a,x\n1,1\n"), "d.csv")));
    }
}
