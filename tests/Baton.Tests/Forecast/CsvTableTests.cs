using System.Globalization;
using System.Text;
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
    [Fact]
    public void Every_cell_reads_back_exactly_as_written_whether_it_is_kept_as_a_number_or_as_text()
    {
        string[] cells = ["1.5", "1.50", " 2", "-0", "0", "1e3", "1E+03", "007", "NaN", "", "abc", "0.1", "123456789012345678",
            "1.7976931348623157E+308", "2024-01-31", "-12.25", "+4", "Infinity"];
        // Column a: the cells in order; column b: the same cells backwards; column c: numbers first, then text.
        string text = "a,b,c\n" + string.Join("", cells.Select((cell, r) =>
            $"\"{cell}\",\"{cells[^(r + 1)]}\",\"{(r < cells.Length / 2 ? (r * 0.5).ToString(CultureInfo.InvariantCulture) : cell)}\"\n"));
        var table = Parse(text);
        Assert.Equal(cells.Length, table.RowCount);
        for (int r = 0; r < cells.Length; r++)
        {
            Assert.Equal(cells[r], table.Cell(r, 0));
            Assert.Equal(cells[^(r + 1)], table.Cell(r, 1));
            Assert.Equal(r < cells.Length / 2 ? (r * 0.5).ToString(CultureInfo.InvariantCulture) : cells[r], table.Cell(r, 2));
            Assert.Equal(table.Cell(r, 0), table.Rows[r][0]);
            Assert.Equal(r + 2, table.Line(r));
        }
        Assert.True(table.IsNumber(0, 0, out double value) && value == 1.5);
        Assert.False(table.IsNumber(1, 0, out _));   // "1.50" is a number but not written as "R" writes it: kept as text
    }

    /// <summary>Rows held: numbers and lines come in blocks of 16384 rows.</summary>
    private static long Blocked(int rows) => (rows + ChunkedColumn<double>.ChunkSize - 1) / ChunkedColumn<double>.ChunkSize * (long)ChunkedColumn<double>.ChunkSize;

    [Fact]
    public void A_numeric_table_holds_eight_bytes_a_cell_and_four_a_row_for_its_line()
    {
        const int N = 40_000, C = 4;
        var rng = new Random(3);
        var text = new StringBuilder("a,b,c,d\n");
        for (int r = 0; r < N; r++)
            text.AppendLine(string.Join(",", Enumerable.Range(0, C).Select(_ => Math.Round(rng.NextDouble() * 100, 2).ToString("R", CultureInfo.InvariantCulture))));
        Assert.Equal(Blocked(N) * (8L * C + 4), Parse(text.ToString()).HeldBytes);
    }

    [Fact]
    public void A_time_column_holds_two_bytes_a_character_and_four_a_row_beside_its_numbers()
    {
        const int N = 40_000, C = 3, Characters = 16;   // yyyy-MM-ddTHH:mm
        var text = new StringBuilder("time,a,b,c\n");
        for (int r = 0; r < N; r++)
            text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"{new DateTime(2000, 1, 1).AddHours(r):yyyy-MM-dd'T'HH:mm},{r % 97 * 0.25},{r % 13},{-r}"));
        var table = Parse(text.ToString());
        Assert.Equal(Blocked(N) * (8L * C + 4) + N * (2L * Characters + 4) + 4, table.HeldBytes);
        var frame = TimeSeriesFrame.FromTable(table, "time", ["a", "b", "c"]);
        Assert.Equal("2000-01-01T01:00", frame.Times[1]);
        Assert.Equal(1 - N, frame.Column("c")[^1]);
    }
}
