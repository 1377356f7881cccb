namespace Baton.Data;

/// <summary>
/// Isolated spikes (a typo, a sensor fault, 1e30), found on the first differences d[t] = y[t] − y[t−1]: with
/// med and s = 1.4826·MAD the median and scaled median absolute deviation of the differences within
/// <see cref="HalfWindow"/> rows of t (s at least the same over the whole column), row t is an outlier when
/// (d[t] − med)/s and (d[t+1] − med)/s are beyond ±<see cref="Bound"/> with opposite signs (a jump there and
/// back); the first and last rows need only their one difference beyond the bound. A level shift (one jump), a
/// steep trend or exponential growth (differences that change slowly) is not an outlier.
/// </summary>
internal static class TimeSeriesOutliers
{
    /// <summary>Robust deviations beyond which a jump counts.</summary>
    public const double Bound = 10;

    /// <summary>Differences on either side that form the local median and deviation.</summary>
    public const int HalfWindow = 10;

    /// <summary>Rows of <paramref name="y"/> that are outliers, in order.</summary>
    public static int[] Find(ReadOnlySpan<double> y)
    {
        int n = y.Length;
        if (n < 2 * HalfWindow + 2)
            return [];
        var d = new double[n];   // d[t] = y[t] - y[t-1], t >= 1
        for (int t = 1; t < n; t++)
            d[t] = y[t] - y[t - 1];
        double floor = GlobalScale(d.AsSpan(1));
        if (!(floor > 0) || !double.IsFinite(floor))
            return [];
        var local = new double[2 * HalfWindow + 1];
        var median = new double[n];
        var scale = new double[n];
        for (int t = 1; t < n; t++)
        {
            int from = Math.Clamp(t - HalfWindow, 1, n - 2 * HalfWindow - 1), to = from + 2 * HalfWindow + 1;
            to = Math.Min(to, n);
            var window = local.AsSpan(0, to - from);
            d.AsSpan(from, to - from).CopyTo(window);
            median[t] = Median(window);
            for (int i = 0; i < window.Length; i++)
                window[i] = Math.Abs(d[from + i] - median[t]);
            scale[t] = Math.Max(floor, 1.4826 * Median(window));
        }
        double Z(int t) => (d[t] - median[t]) / scale[t];
        var found = new List<int>();
        for (int t = 0; t < n; t++)
        {
            bool outlier = t == 0 ? Math.Abs(Z(1)) > Bound
                : t == n - 1 ? Math.Abs(Z(n - 1)) > Bound
                : (Z(t) > Bound && Z(t + 1) < -Bound) || (Z(t) < -Bound && Z(t + 1) > Bound);
            if (outlier)
                found.Add(t);
        }
        return [.. found];
    }

    /// <summary>1.4826·MAD of all differences, or (when most differences are equal) the 90th percentile of their distance from the median.</summary>
    private static double GlobalScale(ReadOnlySpan<double> d)
    {
        var copy = d.ToArray();
        double median = Median(copy);
        for (int i = 0; i < copy.Length; i++)
            copy[i] = Math.Abs(d[i] - median);
        double mad = 1.4826 * Median(copy);
        if (mad > 0)
            return mad;
        Array.Sort(copy);
        return copy[(int)(0.9 * (copy.Length - 1))];
    }

    private static double Median(Span<double> values)
    {
        values.Sort();
        int n = values.Length;
        return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
    }
}
