using Baton.Data;

namespace Baton.Tests.Forecast;

public sealed class TimeSeriesSplitTests
{
    [Fact]
    public void Splits_70_15_15_in_time_order()
    {
        var split = TimeSeriesSplit.Chronological(100, window: 10, horizon: 5);
        Assert.Equal(new TimeSeriesSplit(70, 85, 100), split);
        Assert.Equal((9, 65), split.TrainOrigins(10, 5));
        Assert.Equal((69, 80), split.ValidationOrigins(5));
        Assert.Equal((84, 95), split.TestOrigins(5));
    }

    [Fact]
    public void Origins_keep_every_target_inside_its_part()
    {
        var split = TimeSeriesSplit.Chronological(500, window: 24, horizon: 12);
        var (trainStart, trainEnd) = split.TrainOrigins(24, 12);
        var (validationStart, validationEnd) = split.ValidationOrigins(12);
        var (testStart, testEnd) = split.TestOrigins(12);
        Assert.Equal(split.TrainEnd - 1, trainEnd - 1 + 12);
        Assert.Equal(split.TrainEnd, validationStart + 1);
        Assert.Equal(split.ValidationEnd - 1, validationEnd - 1 + 12);
        Assert.Equal(split.ValidationEnd, testStart + 1);
        Assert.Equal(split.Length - 1, testEnd - 1 + 12);
        Assert.True(trainStart >= 23);
    }

    [Fact]
    public void Too_few_rows_for_window_and_horizon_is_one_clear_line()
    {
        Assert.Equal(86, TimeSeriesSplit.MinimumRows(48, 12));
        TimeSeriesSplit.Chronological(86, 48, 12);
        var e = Assert.Throws<TimeSeriesDataException>(() => TimeSeriesSplit.Chronological(85, 48, 12));
        Assert.StartsWith("the data has 85 rows, too few for window 48 + horizon 12: at least 86 are needed", e.Message);
    }

    [Fact]
    public void Scaling_is_fitted_on_the_training_part_only()
    {
        var frame = TimeSeriesGenerator.Energy(seed: 9, rows: 400);
        var split = TimeSeriesSplit.Chronological(frame.Length, 24, 12);
        var changed = frame.Columns.Select(c => c.ToArray()).ToArray();
        foreach (double[] column in changed)
        {
            for (int r = split.TrainEnd; r < column.Length; r++)
                column[r] = 1e6 + r;
        }
        var a = TimeSeriesScaler.Fit(frame.Names, frame.Columns, split.TrainEnd);
        var b = TimeSeriesScaler.Fit(frame.Names, changed, split.TrainEnd);
        Assert.Equal(a.Mean, b.Mean);
        Assert.Equal(a.Std, b.Std);
        var load = frame.Column("load").AsSpan(0, split.TrainEnd);
        Assert.Equal(load.ToArray().Average(), a.Mean[1], 1e-9);
    }

    [Fact]
    public void A_column_constant_over_the_training_part_cannot_be_scaled()
    {
        double[] x = [1, 1, 1, 1, 2, 3];
        var e = Assert.Throws<TimeSeriesDataException>(() => TimeSeriesScaler.Fit(["x"], [x], 4));
        Assert.Equal("column 'x' is constant over the training part; it cannot be scaled.", e.Message);
    }
}
