namespace Baton.Data;

/// <summary>
/// Values far from their neighbours (a Hampel filter): row t is an outlier when
/// |y[t] − median(y[t−5 .. t+5])| &gt; <see cref="Bound"/> · 1.4826 · MAD(Δy), where MAD(Δy) is the median
/// absolute deviation of the first differences over the whole column (the robust size of one step's change;
/// the mean absolute difference when that MAD is 0). A level shift or a steep trend moves the local median with
/// it, so only isolated spikes (a typo, a sensor fault, 1e30) are flagged.
/// </summary>
public static class TimeSeriesOutliers
{
    /// <summary>Robust deviations beyond which a value is an outlier.</summary>
    public const double Bound = 10;

    /// <summary>Rows on either side of the local median.</summary>
    public const int HalfWindow = 5;

    /// <summary>Rows of <paramref name="y"/> that are outliers, in order.</summary>
    public static int[] Find(ReadOnlySpan<double> y)
    {
        int n = y.Length;
        if (n < 2 * HalfWindow + 1)
            return [];
        var differences = new double[n - 1];
        double meanAbsolute = 0;
        for (int t = 1; t < n; t++)
        {
            differences[t - 1] = y[t] - y[t - 1];
            meanAbsolute += Math.Abs(differences[t - 1]) / (n - 1);
        }
        double scale = 1.4826 * MedianAbsoluteDeviation(differences);
        if (!(scale > 0))
            scale = meanAbsolute;
        if (!(scale > 0) || !double.IsFinite(scale))
            return [];
        var found = new List<int>();
        var local = new double[2 * HalfWindow + 1];
        for (int t = 0; t < n; t++)
        {
            int from = Math.Max(0, t - HalfWindow), to = Math.Min(n, t + HalfWindow + 1);
            y[from..to].CopyTo(local);
            double median = Median(local.AsSpan(0, to - from));
            if (Math.Abs(y[t] - median) > Bound * scale)
                found.Add(t);
        }
        return [.. found];
    }

    private static double MedianAbsoluteDeviation(double[] values)
    {
        var copy = (double[])values.Clone();
        double median = Median(copy);
        for (int i = 0; i < copy.Length; i++)
            copy[i] = Math.Abs(values[i] - median);
        return Median(copy);
    }

    private static double Median(Span<double> values)
    {
        values.Sort();
        int n = values.Length;
        return n % 2 == 1 ? values[n / 2] : 0.5 * (values[n / 2 - 1] + values[n / 2]);
    }
}
