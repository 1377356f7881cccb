namespace Baton.Data;

/// <summary>Season length detection by autocorrelation.</summary>
internal static class TimeSeriesSeason
{
    /// <summary>Smallest autocorrelation a peak needs to count as a season.</summary>
    public const double MinimumAutocorrelation = 0.2;

    /// <summary>
    /// The season of <paramref name="y"/>: the lag in [2, maxLag] where the autocorrelation of the first
    /// differences (which removes a trend) has its highest local peak, if that peak is at least
    /// <see cref="MinimumAutocorrelation"/>; otherwise 1 (no season: seasonal naive becomes last value).
    /// <paramref name="maxLag"/> is capped at a third of the series.
    /// </summary>
    public static int Detect(ReadOnlySpan<double> y, int maxLag)
    {
        int n = y.Length - 1;
        maxLag = Math.Min(maxLag, n / 3);
        if (maxLag < 2)
            return 1;
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
            return 1;
        var acf = new double[maxLag + 2];
        for (int lag = 1; lag <= Math.Min(maxLag + 1, n - 1); lag++)
        {
            double sum = 0;
            for (int t = lag; t < n; t++)
                sum += d[t] * d[t - lag];
            acf[lag] = sum / variance;
        }
        int best = 1;
        double bestValue = MinimumAutocorrelation;
        for (int lag = 2; lag <= maxLag; lag++)
        {
            bool peak = acf[lag] >= acf[lag - 1] && acf[lag] >= acf[lag + 1];
            if (peak && acf[lag] > bestValue)
            {
                best = lag;
                bestValue = acf[lag];
            }
        }
        return best;
    }
}
