namespace Baton.Data;

/// <summary>Scores forecasts over a range of origins beside the seasonal-naive and last-value baselines.</summary>
internal static class ForecastEvaluation
{
    /// <summary>Largest lag searched when the season is detected.</summary>
    public const int MaxSeasonLag = 400;

    /// <summary>
    /// The season of each target: <paramref name="season"/> when given (&gt; 0), else detected by
    /// autocorrelation on the training part <c>[0, trainEnd)</c>.
    /// </summary>
    public static int[] Seasons(IReadOnlyList<double[]> targets, int trainEnd, int season)
    {
        ArgumentNullException.ThrowIfNull(targets);
        return [.. targets.Select(y => season > 0 ? season : TimeSeriesSeason.Detect(y.AsSpan(0, trainEnd), MaxSeasonLag))];
    }

    /// <summary>
    /// Scores <paramref name="predictions"/> [origins, K, targets] made at origins
    /// [<paramref name="start"/>, <paramref name="end"/>) against the actual values of each target series,
    /// with MASE scaled by the in-sample seasonal-naive error on <c>[0, trainEnd)</c>.
    /// </summary>
    public static ForecastReport Evaluate(IReadOnlyList<double[]> targets, int trainEnd, int start, int end, int horizon,
        ReadOnlySpan<double> predictions, int[] seasons) =>
        Evaluate(targets, trainEnd, start, end, horizon, predictions, seasons, null, []);

    /// <summary>
    /// As <see cref="Evaluate(IReadOnlyList{double[]}, int, int, int, int, ReadOnlySpan{double}, int[])"/>, also scoring
    /// the Holt-Winters forecasts <paramref name="ets"/> (same layout as the predictions; null to skip) and the seasonal
    /// naive of every season in <paramref name="extraSeasons"/>, all with the same MASE scale.
    /// </summary>
    public static ForecastReport Evaluate(IReadOnlyList<double[]> targets, int trainEnd, int start, int end, int horizon,
        ReadOnlySpan<double> predictions, int[] seasons, double[]? ets, int[] extraSeasons)
    {
        ArgumentNullException.ThrowIfNull(extraSeasons);
        var report = EvaluateCore(targets, trainEnd, start, end, horizon, predictions, seasons);
        var etsScores = ets is null ? (ForecastScores?)null
            : EvaluateCore(targets, trainEnd, start, end, horizon, ets, seasons).Model;
        var naives = new List<(int, ForecastScores)>();
        foreach (int m in extraSeasons)
        {
            var naive = new double[predictions.Length];
            int J = targets.Count;
            for (int o = 0; o < end - start; o++)
            {
                for (int h = 1; h <= horizon; h++)
                {
                    for (int j = 0; j < J; j++)
                        naive[(o * horizon + h - 1) * J + j] = ForecastBaselines.SeasonalNaive(targets[j], start + o, h, m);
                }
            }
            naives.Add((m, EvaluateCore(targets, trainEnd, start, end, horizon, naive, seasons).Model));
        }
        return report with { Ets = etsScores, SeasonalNaives = naives };
    }

    /// <summary>
    /// Holt-Winters forecasts [origins, K, targets] for origins [<paramref name="start"/>, <paramref name="end"/>): each
    /// target's model <paramref name="parameters"/>[j] starts from the heuristic state of its first rows and is fed
    /// every row up to the origin.
    /// </summary>
    public static double[] EtsForecasts(IReadOnlyList<double[]> targets, IReadOnlyList<TimeSeriesHoltWinters.Parameters> parameters,
        int start, int end, int horizon)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(parameters);
        int J = targets.Count;
        var result = new double[(end - start) * horizon * J];
        for (int j = 0; j < J; j++)
        {
            double[] y = targets[j];
            var model = TimeSeriesHoltWinters.Initial(parameters[j], y);
            for (int t = 0; t < end; t++)
            {
                model.Update(y[t]);
                if (t < start)
                    continue;
                for (int h = 1; h <= horizon; h++)
                    result[((t - start) * horizon + h - 1) * J + j] = model.Forecast(h);
            }
        }
        return result;
    }

    private static ForecastReport EvaluateCore(IReadOnlyList<double[]> targets, int trainEnd, int start, int end, int horizon,
        ReadOnlySpan<double> predictions, int[] seasons)
    {
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(seasons);
        int J = targets.Count;
        int origins = end - start;
        if (origins < 1)
            throw new ArgumentOutOfRangeException(nameof(end), "No origins to score.");
        if (predictions.Length != origins * horizon * J)
            throw new ArgumentException($"predictions hold {predictions.Length} values, {origins * horizon * J} expected.", nameof(predictions));
        var model = new List<ForecastScores>(J);
        var seasonal = new List<ForecastScores>(J);
        var last = new List<ForecastScores>(J);
        int count = origins * horizon;
        var actual = new double[count];
        var forecast = new double[count];
        var naive = new double[count];
        var repeat = new double[count];
        for (int j = 0; j < J; j++)
        {
            double[] y = targets[j];
            double scale = ForecastMetrics.SeasonalNaiveScale(y.AsSpan(0, trainEnd), seasons[j]);
            int i = 0;
            for (int o = 0; o < origins; o++)
            {
                int origin = start + o;
                for (int h = 1; h <= horizon; h++)
                {
                    actual[i] = y[origin + h];
                    forecast[i] = predictions[(o * horizon + h - 1) * J + j];
                    naive[i] = ForecastBaselines.SeasonalNaive(y, origin, h, seasons[j]);
                    repeat[i] = ForecastBaselines.LastValue(y, origin);
                    i++;
                }
            }
            model.Add(ForecastMetrics.Score(actual, forecast, scale));
            seasonal.Add(ForecastMetrics.Score(actual, naive, scale));
            last.Add(ForecastMetrics.Score(actual, repeat, scale));
        }
        return new ForecastReport(ForecastMetrics.Average(model), ForecastMetrics.Average(seasonal), ForecastMetrics.Average(last),
            seasons, origins);
    }
}
