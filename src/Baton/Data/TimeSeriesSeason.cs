namespace Baton.Data;

/// <summary>Season length detection by autocorrelation, with the calendar seasons a time column implies.</summary>
internal static class TimeSeriesSeason
{
    /// <summary>Smallest autocorrelation a peak needs to count as a season.</summary>
    public const double MinimumAutocorrelation = 0.2;

    /// <summary>Most seasons <see cref="DetectAll"/> reports.</summary>
    public const int MaxSeasons = 3;

    /// <summary>
    /// A longer season that is a multiple of a shorter one found is kept only when its in-sample seasonal-naive
    /// error is below this share of the shorter one's.
    /// </summary>
    public const double MultipleGain = 0.95;

    /// <summary>
    /// The season of <paramref name="y"/>: the lag in [2, maxLag] where the autocorrelation of the first
    /// differences (which removes a trend) has its highest local peak, if that peak is at least
    /// <see cref="MinimumAutocorrelation"/>; otherwise 1 (no season: seasonal naive becomes last value).
    /// <paramref name="maxLag"/> is capped at a third of the series.
    /// </summary>
    public static int Detect(ReadOnlySpan<double> y, int maxLag)
    {
        double[] acf = DifferenceAutocorrelation(y, Math.Min(maxLag, (y.Length - 1) / 3) + 1);
        int best = 1;
        double bestValue = MinimumAutocorrelation;
        for (int lag = 2; lag < acf.Length - 1; lag++)
        {
            if (IsPeak(acf, lag) && acf[lag] > bestValue)
            {
                best = lag;
                bestValue = acf[lag];
            }
        }
        return best;
    }

    /// <summary>
    /// Every season of <paramref name="y"/> that matters, ascending, and the primary one. Candidates are the highest
    /// autocorrelation peak of the first differences (as <see cref="Detect"/>), the other local peaks at least half as
    /// high, and the <paramref name="calendar"/> seasons (see <see cref="TimeSeriesStep.CalendarSeasons"/>) whose
    /// autocorrelation reaches <see cref="MinimumAutocorrelation"/>; a calendar season needs two full cycles in
    /// <paramref name="y"/>. A candidate within one row (or a 24th of the shorter season) of a multiple of a shorter one kept is dropped unless its in-sample
    /// seasonal-naive MAE is below <see cref="MultipleGain"/> times the shorter one's (a calendar season: unless that MAE is
    /// above the shorter one's divided by <see cref="MultipleGain"/>); at most <see cref="MaxSeasons"/>
    /// are kept (the best by that MAE). The primary season is the kept one with the lowest in-sample seasonal-naive
    /// MAE. No season found gives [1].
    /// </summary>
    public static (int[] Seasons, int Primary) DetectAll(ReadOnlySpan<double> y, int maxLag, IReadOnlyList<int> calendar)
    {
        ArgumentNullException.ThrowIfNull(calendar);
        int n = y.Length;
        int peakLimit = Math.Min(maxLag, (n - 1) / 3);
        int calendarLimit = (n - 1) / 2;
        int longest = Math.Max(peakLimit, calendar.Where(m => m <= calendarLimit).DefaultIfEmpty(0).Max());
        double[] acf = DifferenceAutocorrelation(y, longest + 1);
        var candidates = new SortedSet<int>();
        int highest = Detect(y, maxLag);
        if (highest > 1)
        {
            candidates.Add(highest);
            for (int lag = 2; lag <= peakLimit; lag++)
            {
                if (IsPeak(acf, lag) && acf[lag] >= Math.Max(MinimumAutocorrelation, acf[highest] / 2))
                    candidates.Add(lag);
            }
        }
        foreach (int m in calendar)
        {
            if (m >= 2 && m <= calendarLimit && acf[m] >= MinimumAutocorrelation)
                candidates.Add(m);
        }
        var kept = new List<(int Season, double Scale)>();
        foreach (int m in candidates)
        {
            double scale = NaiveError(y, m);
            // A calendar season (a week of hours) is kept beside its divisor unless it is clearly worse; another multiple
            // must be clearly better.
            bool fromCalendar = calendar.Contains(m);
            bool redundant = kept.Any(k => IsNearMultiple(m, k.Season)
                && (fromCalendar ? scale > k.Scale / MultipleGain : !(scale < MultipleGain * k.Scale)));
            if (!redundant)
                kept.Add((m, scale));
        }
        if (kept.Count == 0)
            return ([1], 1);
        var best = kept.OrderBy(k => k.Scale).Take(MaxSeasons).ToList();
        return ([.. best.Select(k => k.Season).Order()], best[0].Season);
    }

    /// <summary>True when <paramref name="m"/> lies within one row (or d/24 rows) of a multiple of <paramref name="d"/>.</summary>
    private static bool IsNearMultiple(int m, int d)
    {
        int rest = m % d;
        return Math.Min(rest, d - rest) <= Math.Max(1, d / 24);
    }

    private static bool IsPeak(double[] acf, int lag) => acf[lag] >= acf[lag - 1] && (lag + 1 >= acf.Length || acf[lag] >= acf[lag + 1]);

    private static double NaiveError(ReadOnlySpan<double> y, int m)
    {
        double sum = 0;
        for (int t = m; t < y.Length; t++)
            sum += Math.Abs(y[t] - y[t - m]);
        return sum / (y.Length - m);
    }

    /// <summary>Autocorrelation of the first differences of <paramref name="y"/> at lags 0 .. <paramref name="lags"/> (0 where undefined).</summary>
    private static double[] DifferenceAutocorrelation(ReadOnlySpan<double> y, int lags)
    {
        var acf = new double[Math.Max(lags + 1, 3)];
        int n = y.Length - 1;
        if (n < 3)
            return acf;
        var d = new double[n];
        double mean = 0;
        for (int t = 0; t < n; t++)
        {
            d[t] = y[t + 1] - y[t];
            mean += d[t];
        }
        mean /= n;
        double variance = 0;
        for (int t = 0; t < n; t++)
        {
            d[t] -= mean;
            variance += d[t] * d[t];
        }
        if (!(variance > 0))
            return acf;
        for (int lag = 1; lag < acf.Length && lag < n; lag++)
        {
            double sum = 0;
            for (int t = lag; t < n; t++)
                sum += d[t] * d[t - lag];
            acf[lag] = sum / variance;
        }
        return acf;
    }
}
