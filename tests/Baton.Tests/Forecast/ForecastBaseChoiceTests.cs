using Baton.Data;
using Baton.Training;

namespace Baton.Tests.Forecast;

public sealed class ForecastBaseChoiceTests
{
    /// <summary>Sums of a few hundred scaled errors in double precision.</summary>
    private const double SumTolerance = 1e-12;

    private static readonly double[] Shape = [3, -1, 4, 1, -5, 9, 2, -6, 5, 3, -5, -10];   // a season of 12 that sums to 0

    private static TimeSeriesHoltWinters.Parameters[] Smoothing(double[] y, TimeSeriesSplit split, int period) =>
        [TimeSeriesHoltWinters.Fit(y.AsSpan(0, split.TrainEnd), period).Model];

    [Fact]
    public void A_trend_plus_a_fixed_season_scores_the_seasonal_naive_exactly_one_and_chooses_the_smoothing()
    {
        // y = 50 + 0.5 t + season: every seasonal-naive error, in and out of sample, is 0.5 · 12 = 6, so its scaled score is 1.
        double[] y = [.. Enumerable.Range(0, 120).Select(t => 50 + 0.5 * t + Shape[t % 12])];
        var split = TimeSeriesSplit.Chronological(120, window: 24, horizon: 12);
        var choice = ForecastBaseChoice.Choose([y], split, horizon: 12, primary: 12, naiveSeasons: [12], Smoothing(y, split, 12), scaleSeason: 12);
        Assert.Equal(["ETS", "seasonal naive 12", "mean of ETS and seasonal naive 12"], choice.Candidates.Select(c => c.Name));
        Assert.Equal(1.0, choice.Candidates[1].Score, SumTolerance);
        Assert.True(choice.Candidates[0].Score < 0.5, $"ETS scored {choice.Candidates[0].Score}");
        Assert.Equal((ForecastBase.Ets, 0), (choice.Base, choice.Season));
    }

    [Fact]
    public void A_season_the_smoothing_does_not_model_chooses_the_seasonal_naive_of_that_season()
    {
        // The smoothing runs with season 4; the series repeats every 12 (plus a small wiggle), so the naive of 12 wins.
        double[] y = [.. Enumerable.Range(0, 160).Select(t => 100 + 4 * Shape[t % 12] + 0.2 * Math.Sin(1.3 * t))];
        var split = TimeSeriesSplit.Chronological(160, window: 24, horizon: 12);
        var choice = ForecastBaseChoice.Choose([y], split, horizon: 12, primary: 4, naiveSeasons: [4, 12], Smoothing(y, split, 4), scaleSeason: 4);
        Assert.Equal((ForecastBase.SeasonalNaive, 12), (choice.Base, choice.Season));
        Assert.True(choice.Score(ForecastBase.SeasonalNaive, 12) < 0.05, choice.Describe());
        Assert.True(choice.Score(ForecastBase.Ets, 0) > 0.2, choice.Describe());
    }

    [Fact]
    public void A_short_validation_part_is_extended_to_earlier_origins_and_the_test_rows_are_never_read()
    {
        // 72 monthly rows: train 48, validation 12 (a single origin), test 12.
        double[] y = [.. Enumerable.Range(0, 72).Select(t => 200 + 10 * Shape[t % 12] + 7 * Math.Sin(0.7 * t) + 0.3 * t)];
        var split = TimeSeriesSplit.Chronological(72, window: 24, horizon: 12);
        Assert.Equal(new TimeSeriesSplit(48, 60, 72), split);
        var smoothing = Smoothing(y, split, 12);
        var choice = ForecastBaseChoice.Choose([y], split, 12, 12, [12], smoothing, 12);
        // Origins 35 .. 47: the smoothing needs three seasons (36 rows) before it can be refitted with its season.
        Assert.Equal((35, 13), (choice.FirstOrigin, choice.Origins));
        double scale = ForecastMetrics.SeasonalNaiveScale(y.AsSpan(0, 48), 12);
        double naive = 0;
        for (int t = 35; t <= 47; t++)
        {
            for (int h = 1; h <= 12; h++)
                naive += Math.Abs(y[t + h] - y[t + h - 12]) / scale;
        }
        Assert.Equal(naive / (13 * 12), choice.Score(ForecastBase.SeasonalNaive, 12), SumTolerance);

        double[] changed = [.. y.Select((v, t) => t >= 60 ? 1e6 - v : v)];
        var again = ForecastBaseChoice.Choose([changed], split, 12, 12, [12], smoothing, 12);
        Assert.Equal(choice.Candidates, again.Candidates);
        Assert.Equal((choice.Base, choice.Season), (again.Base, again.Season));
    }
}
