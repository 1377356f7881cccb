namespace Baton.Data;

/// <summary>Point-forecast error measures over paired actual / predicted values.</summary>
internal static class ForecastMetrics
{
    /// <summary>Mean absolute error: mean |a - p|.</summary>
    public static double Mae(ReadOnlySpan<double> actual, ReadOnlySpan<double> predicted)
    {
        CheckPairs(actual, predicted);
        double sum = 0;
        for (int i = 0; i < actual.Length; i++)
            sum += Math.Abs(actual[i] - predicted[i]);
        return sum / actual.Length;
    }

    /// <summary>Root mean squared error: sqrt(mean (a - p)^2).</summary>
    public static double Rmse(ReadOnlySpan<double> actual, ReadOnlySpan<double> predicted)
    {
        CheckPairs(actual, predicted);
        double sum = 0;
        for (int i = 0; i < actual.Length; i++)
            sum += (actual[i] - predicted[i]) * (actual[i] - predicted[i]);
        return Math.Sqrt(sum / actual.Length);
    }

    /// <summary>
    /// Symmetric mean absolute percentage error in percent: 100 * mean 2|a - p| / (|a| + |p|),
    /// a term whose denominator is 0 counting as 0 (both values are 0, so the forecast is exact).
    /// </summary>
    public static double Smape(ReadOnlySpan<double> actual, ReadOnlySpan<double> predicted)
    {
        CheckPairs(actual, predicted);
        double sum = 0;
        for (int i = 0; i < actual.Length; i++)
        {
            double denominator = Math.Abs(actual[i]) + Math.Abs(predicted[i]);
            if (denominator > 0)
                sum += 2 * Math.Abs(actual[i] - predicted[i]) / denominator;
        }
        return 100 * sum / actual.Length;
    }

    /// <summary>
    /// The MASE denominator: the in-sample mean absolute error of the seasonal-naive forecast,
    /// mean over t in [season, n) of |y[t] - y[t - season]|, computed on the training part
    /// <paramref name="train"/> only.
    /// </summary>
    public static double SeasonalNaiveScale(ReadOnlySpan<double> train, int season)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(season, 1, nameof(season));
        if (train.Length <= season)
            throw new TimeSeriesDataException($"the training part has {train.Length} rows; season {season} needs more.");
        double sum = 0;
        for (int t = season; t < train.Length; t++)
            sum += Math.Abs(train[t] - train[t - season]);
        double scale = sum / (train.Length - season);
        if (!(scale > 0))
            throw new TimeSeriesDataException($"the training part repeats exactly with season {season}; MASE is undefined.");
        return scale;
    }

    /// <summary>All four measures; MASE = MAE / <paramref name="scale"/>.</summary>
    public static ForecastScores Score(ReadOnlySpan<double> actual, ReadOnlySpan<double> predicted, double scale)
    {
        double mae = Mae(actual, predicted);
        return new ForecastScores(mae, Rmse(actual, predicted), Smape(actual, predicted), mae / scale);
    }

    /// <summary>The mean of each measure over several targets (each scored on its own scale first).</summary>
    public static ForecastScores Average(IReadOnlyList<ForecastScores> perTarget)
    {
        ArgumentNullException.ThrowIfNull(perTarget);
        if (perTarget.Count == 0)
            throw new ArgumentException("No scores to average.", nameof(perTarget));
        return new ForecastScores(
            perTarget.Average(s => s.Mae),
            perTarget.Average(s => s.Rmse),
            perTarget.Average(s => s.Smape),
            perTarget.Average(s => s.Mase));
    }

    private static void CheckPairs(ReadOnlySpan<double> actual, ReadOnlySpan<double> predicted)
    {
        if (actual.Length != predicted.Length)
            throw new ArgumentException("Actual and predicted differ in length.", nameof(predicted));
        if (actual.Length == 0)
            throw new ArgumentException("No values to score.", nameof(actual));
    }
}
