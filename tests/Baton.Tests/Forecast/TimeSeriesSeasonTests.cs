using Baton.Data;

namespace Baton.Tests.Forecast;

public sealed class TimeSeriesSeasonTests
{
    [Fact]
    public void Hourly_data_with_a_weekly_pattern_reports_the_daily_and_the_weekly_season_with_weekly_primary()
    {
        // Daily shape, weekends at 60 %, a slow trend and deterministic noise: four weeks of hours.
        double[] y = [.. Enumerable.Range(0, 24 * 7 * 6).Select(t =>
            (10 + 0.001 * t + 5 * Math.Sin(2 * Math.PI * t / 24)) * ((t / 24) % 7 >= 5 ? 0.6 : 1) + 0.3 * Math.Sin(12.9898 * t))];
        var (seasons, primary) = TimeSeriesSeason.DetectAll(y, 400, [24, 168]);
        Assert.Contains(24, seasons);
        Assert.Contains(168, seasons);
        Assert.Equal(168, primary);
    }

    [Fact]
    public void A_monthly_cycle_is_twelve_not_its_multiple()
    {
        double[] y = [.. Enumerable.Range(0, 240).Select(t => 10 * Math.Sin(2 * Math.PI * t / 12) + 2 * Math.Sin(0.37 * t * t))];
        var (seasons, primary) = TimeSeriesSeason.DetectAll(y, 400, [12]);
        Assert.Equal([12], seasons);
        Assert.Equal(12, primary);
    }

    [Fact]
    public void Noise_has_no_season()
    {
        var rng = new Random(3);
        double[] y = [.. Enumerable.Range(0, 300).Select(_ => rng.NextDouble())];
        var (seasons, primary) = TimeSeriesSeason.DetectAll(y, 400, []);
        Assert.Equal([1], seasons);
        Assert.Equal(1, primary);
    }
}
