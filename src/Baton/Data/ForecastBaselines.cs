namespace Baton.Data;

/// <summary>The two reference forecasts every model is printed beside.</summary>
internal static class ForecastBaselines
{
    /// <summary>
    /// Seasonal naive: the value one season (or as many whole seasons as needed) before the target,
    /// y[t + h - season * ceil(h / season)], for origin <paramref name="origin"/> and step
    /// <paramref name="step"/> (1-based). Falls back to the last value while less than a season is known.
    /// </summary>
    public static double SeasonalNaive(ReadOnlySpan<double> y, int origin, int step, int season)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(step, 1, nameof(step));
        ArgumentOutOfRangeException.ThrowIfLessThan(season, 1, nameof(season));
        int seasons = (step + season - 1) / season;
        int index = origin + step - season * seasons;
        return index >= 0 ? y[index] : y[origin];
    }

    /// <summary>Last value: y[origin] for every step.</summary>
    public static double LastValue(ReadOnlySpan<double> y, int origin) => y[origin];
}
