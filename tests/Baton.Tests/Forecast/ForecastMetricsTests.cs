using Baton.Data;
using Baton.Numerics;

namespace Baton.Tests.Forecast;

public sealed class ForecastMetricsTests
{
    private const double Exact = 1e-12;

    private static readonly double[] Actual = [1, 2, 3, 4];
    private static readonly double[] Predicted = [2, 2, 1, 5];

    [Fact]
    public void Mae_rmse_and_smape_match_hand_computed_values()
    {
        // errors 1, 0, 2, 1
        Assert.Equal(1.0, ForecastMetrics.Mae(Actual, Predicted), Exact);
        Assert.Equal(Math.Sqrt(6.0 / 4), ForecastMetrics.Rmse(Actual, Predicted), Exact);
        // 100/4 * (2*1/3 + 0 + 2*2/4 + 2*1/9) = 100 * 17/36
        Assert.Equal(100.0 * 17 / 36, ForecastMetrics.Smape(Actual, Predicted), Exact);
    }

    [Fact]
    public void Smape_counts_a_zero_forecast_of_zero_as_exact()
    {
        Assert.Equal(100.0, ForecastMetrics.Smape([0.0, 1.0], [0.0, 0.0]), Exact);
    }

    [Fact]
    public void Mase_divides_by_the_in_sample_seasonal_naive_error()
    {
        double[] train = [1, 3, 2, 4, 3, 5];
        // season 1: |3-1| |2-3| |4-2| |3-4| |5-3| = 8 / 5
        Assert.Equal(1.6, ForecastMetrics.SeasonalNaiveScale(train, 1), Exact);
        // season 2: |2-1| |4-3| |3-2| |5-4| = 4 / 4
        Assert.Equal(1.0, ForecastMetrics.SeasonalNaiveScale(train, 2), Exact);
        var scores = ForecastMetrics.Score(Actual, Predicted, ForecastMetrics.SeasonalNaiveScale(train, 1));
        Assert.Equal(1.0 / 1.6, scores.Mase, Exact);
    }

    [Fact]
    public void Scores_of_several_targets_are_averaged_measure_by_measure()
    {
        var average = ForecastMetrics.Average([new ForecastScores(1, 2, 3, 4), new ForecastScores(3, 4, 5, 6)]);
        Assert.Equal(new ForecastScores(2, 3, 4, 5), average);
    }

    [Fact]
    public void Seasonal_naive_looks_back_whole_seasons_and_last_value_repeats_the_origin()
    {
        double[] y = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
        Assert.Equal(6, ForecastBaselines.SeasonalNaive(y, origin: 9, step: 1, season: 4));
        Assert.Equal(9, ForecastBaselines.SeasonalNaive(y, origin: 9, step: 4, season: 4));
        Assert.Equal(6, ForecastBaselines.SeasonalNaive(y, origin: 9, step: 5, season: 4));
        Assert.Equal(9, ForecastBaselines.SeasonalNaive(y, origin: 9, step: 1, season: 1));
        Assert.Equal(9, ForecastBaselines.LastValue(y, origin: 9));
    }

    [Fact]
    public void Season_detection_finds_the_period_of_a_trending_noisy_cycle()
    {
        var rng = new Rng(3);
        var y = new double[1000];
        for (int t = 0; t < y.Length; t++)
            y[t] = 0.05 * t + 3 * Math.Sin(2 * Math.PI * t / 24) + 0.3 * rng.NextNormal();
        Assert.Equal(24, TimeSeriesSeason.Detect(y, 200));
    }

    [Fact]
    public void Season_detection_returns_1_for_white_noise()
    {
        var rng = new Rng(4);
        var y = new double[1000];
        for (int t = 0; t < y.Length; t++)
            y[t] = rng.NextNormal();
        Assert.Equal(1, TimeSeriesSeason.Detect(y, 200));
    }

    [Fact]
    public void The_generated_series_have_the_seasons_they_were_built_with()
    {
        var energy = TimeSeriesGenerator.Energy();
        var sensor = TimeSeriesGenerator.Sensor();
        Assert.Equal(24, TimeSeriesSeason.Detect(energy.Column("load"), 400));
        Assert.Equal(45, TimeSeriesSeason.Detect(sensor.Column("vibration"), 400));
    }

    [Fact]
    public void Generators_are_deterministic_from_the_seed()
    {
        Assert.Equal(TimeSeriesGenerator.Sensor(7, 300).Column("vibration"), TimeSeriesGenerator.Sensor(7, 300).Column("vibration"));
        Assert.NotEqual(TimeSeriesGenerator.Energy(7, 300).Column("load"), TimeSeriesGenerator.Energy(8, 300).Column("load"));
    }
}
