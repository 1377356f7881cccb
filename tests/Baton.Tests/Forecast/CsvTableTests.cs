using System.Globalization;
using Baton.Data;

namespace Baton.Tests.Forecast;

public sealed class CsvTableTests
{
    private static CsvTable Parse(string text) => CsvTable.Read(new StringReader(text), "data.csv");

    [Fact]
    public void Reads_header_quoted_fields_and_line_numbers()
    {
        var table = Parse("time,\"name, with comma\",value\n2024-01-01T00:00:00,\"a \"\"quoted\"\" word\",1.5\n\n2024-01-01T01:00:00,b,2\n");
        Assert.Equal(["time", "name, with comma", "value"], table.Columns);
        Assert.Equal(2, table.Rows.Count);
        Assert.Equal("a \"quoted\" word", table.Rows[0][1]);
        Assert.Equal(2, table.Lines[0]);
        Assert.Equal(4, table.Lines[1]);
    }

    [Fact]
    public void Parses_a_decimal_point_whatever_the_current_culture()
    {
        var comma = (CultureInfo)CultureInfo.InvariantCulture.Clone();
        comma.NumberFormat.NumberDecimalSeparator = ",";
        comma.NumberFormat.NumberGroupSeparator = ".";
        var saved = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = comma;
            var table = Parse("t,x\n1,2.5\n2,1e-3\n3,-7.25\n");
            var frame = TimeSeriesFrame.FromTable(table, "t", ["x"]);
            Assert.Equal([2.5, 0.001, -7.25], frame.Column("x"));
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }
    }

    [Fact]
    public void A_row_with_the_wrong_number_of_fields_names_its_line()
    {
        var e = Assert.Throws<TimeSeriesDataException>(() => Parse("a,b\n1,2\n3\n"));
        Assert.Equal("data.csv line 3: 1 fields, but the header has 2.", e.Message);
    }

    [Fact]
    public void An_empty_file_is_an_error()
    {
        var e = Assert.Throws<TimeSeriesDataException>(() => Parse(""));
        Assert.Contains("empty file", e.Message);
    }

    [Fact]
    public void Written_frames_read_back_identical()
    {
        var frame = TimeSeriesGenerator.Energy(seed: 5, rows: 100);
        var writer = new StringWriter();
        frame.WriteCsv(writer);
        var table = Parse(writer.ToString());
        var back = TimeSeriesFrame.FromTable(table, "time", ["temperature", "load"]);
        Assert.Equal(frame.Times, back.Times);
        Assert.Equal(frame.Column("load"), back.Column("load"));
        Assert.Equal(frame.Column("temperature"), back.Column("temperature"));
    }
}
