using Baton.Data;

namespace Baton.Tests.Forecast;

public sealed class TimeSeriesReadingTests
{
    private static TimeSeriesFrame Read(string text, TimeSeriesReadOptions? options = null) =>
        TimeSeriesFrame.FromTable(CsvTable.Read(new StringReader(text), "data.csv"), "date", ["x"], options ?? new TimeSeriesReadOptions());

    private static string Monthly(int months, Func<int, double> value, int skip = -1) =>
        "date,x\n" + string.Concat(Enumerable.Range(0, months).Where(i => i != skip)
            .Select(i => $"{new DateTime(2000, 1, 1).AddMonths(i):yyyy-MM-dd},{value(i)}\n"));

    [Fact]
    public void A_missing_month_is_a_gap_named_with_its_line_unless_filled()
    {
        string text = Monthly(30, i => 100 + i, skip: 10);
        var e = Assert.Throws<TimeSeriesDataException>(() => Read(text));
        Assert.Equal("data.csv: column 'date' has 1 gap in its 1 month steps (1 rows missing; first at line 12: 1 row missing " +
            "between '2000-10-01' and '2000-12-01'); fill them with --fill forward|linear|zero.", e.Message);

        var filled = Read(text, new TimeSeriesReadOptions { Fill = TimeSeriesFill.Linear });
        Assert.Equal(30, filled.Length);
        Assert.Equal("2000-11-01T00:00:00", filled.Times[10]);
        Assert.Equal(110.0, filled.Column("x")[10]);
        Assert.Equal(new TimeSeriesStep(1, 0, 0), filled.Step);
        Assert.Single(filled.Notes);
    }

    [Fact]
    public void Hourly_rows_imply_daily_and_weekly_seasons_and_months_imply_twelve()
    {
        string hourly = "date,x\n" + string.Concat(Enumerable.Range(0, 50).Select(i => $"{new DateTime(2024, 3, 1).AddHours(i):yyyy-MM-ddTHH:mm:ss},{i % 5}\n"));
        Assert.Equal([24, 168], Read(hourly).Step!.Value.CalendarSeasons());
        Assert.Equal([12], Read(Monthly(30, i => i % 7)).Step!.Value.CalendarSeasons());
        string quarterly = "date,x\n" + string.Concat(Enumerable.Range(0, 20).Select(i => $"{new DateTime(1990, 1, 1).AddMonths(3 * i):yyyy-MM},{i % 3}\n"));
        Assert.Equal([4], Read(quarterly).Step!.Value.CalendarSeasons());
    }

    [Fact]
    public void An_ambiguous_date_is_refused_unless_a_time_format_says_which()
    {
        string text = "date,x\n01/02/1949,1\n01/03/1949,2\n01/04/1949,3\n";
        var e = Assert.Throws<TimeSeriesDataException>(() => Read(text));
        Assert.Contains("data.csv line 2, column 'date': '01/02/1949' is not an ISO 8601 date", e.Message);
        Assert.Contains("--time-format", e.Message);

        var dayFirst = Read(text, new TimeSeriesReadOptions { TimeFormat = "dd/MM/yyyy" });
        Assert.Equal(new TimeSeriesStep(1, 0, 0), dayFirst.Step);   // 1 Feb, 1 Mar, 1 Apr: monthly
        var monthFirst = Read(text, new TimeSeriesReadOptions { TimeFormat = "MM/dd/yyyy" });
        Assert.Equal(TimeSpan.FromDays(1).Ticks, monthFirst.Step!.Value.Ticks);   // 2, 3, 4 January: daily
    }

    [Theory]
    [InlineData("1949-01")]
    [InlineData("1949-01-01")]
    [InlineData("1949-01-01T00:00")]
    [InlineData("1949-01-01 00:00:00")]
    [InlineData("1949-01-01T00:00:00Z")]
    [InlineData("1949-01-01T01:00:00+01:00")]
    public void Iso_8601_dates_in_every_usual_spelling_mean_the_same_instant(string cell)
    {
        double key = TimeSeriesFrame.TimeKey(cell, numeric: false, "data.csv", 2, "date");
        Assert.Equal(new DateTime(1949, 1, 1, 0, 0, 0, DateTimeKind.Utc).Ticks, key);
    }

    [Fact]
    public void An_isolated_spike_is_an_outlier_refused_kept_or_filled_but_a_level_shift_is_not()
    {
        string spike = Monthly(40, i => i == 25 ? 1e30 : 100 + (i % 12) + 0.5 * i);
        var e = Assert.Throws<TimeSeriesDataException>(() => Read(spike));
        Assert.Equal("data.csv: column 'x' has 1 outlier (a jump of more than 10 robust deviations and back; first line 27: 1E+30); " +
            "keep them with --allow-outliers or replace them with --fill forward|linear|zero.", e.Message);
        Assert.Equal(1e30, Read(spike, new TimeSeriesReadOptions { AllowOutliers = true }).Column("x")[25]);
        Assert.Equal(Read(spike, new TimeSeriesReadOptions { Fill = TimeSeriesFill.Forward }).Column("x")[24],
            Read(spike, new TimeSeriesReadOptions { Fill = TimeSeriesFill.Forward }).Column("x")[25]);

        double[] shifted = [.. Enumerable.Range(0, 80).Select(i => (i < 40 ? 100.0 : 400.0) + (i % 3))];
        Assert.Empty(TimeSeriesOutliers.Find(shifted));
        double[] growth = [.. Enumerable.Range(0, 200).Select(i => Math.Pow(1.05, i))];
        Assert.Empty(TimeSeriesOutliers.Find(growth));
    }
}
