namespace Baton.Data;

/// <summary>
/// Per-column standardisation z = (x - mean) / std, with mean and (population) std fitted on the
/// training rows only, so nothing from the validation or test part leaks into the model.
/// </summary>
internal sealed class TimeSeriesScaler
{
    /// <summary>Creates a scaler from stored statistics (one mean and std per column).</summary>
    public TimeSeriesScaler(double[] mean, double[] std)
    {
        ArgumentNullException.ThrowIfNull(mean);
        ArgumentNullException.ThrowIfNull(std);
        if (mean.Length != std.Length)
            throw new ArgumentException("One std per mean.", nameof(std));
        foreach (double s in std)
        {
            if (!(s > 0) || !double.IsFinite(s))
                throw new ArgumentOutOfRangeException(nameof(std), "Every std must be positive and finite.");
        }
        Mean = mean;
        Std = std;
    }

    /// <summary>Mean of each column over the training rows.</summary>
    public double[] Mean { get; }

    /// <summary>Population standard deviation of each column over the training rows.</summary>
    public double[] Std { get; }

    /// <summary>
    /// Fits mean and std of each column on rows <c>[0, trainEnd)</c>; a column constant there is a
    /// <see cref="TimeSeriesDataException"/>.
    /// </summary>
    public static TimeSeriesScaler Fit(IReadOnlyList<string> names, IReadOnlyList<double[]> columns, int trainEnd)
    {
        ArgumentNullException.ThrowIfNull(names);
        ArgumentNullException.ThrowIfNull(columns);
        ArgumentOutOfRangeException.ThrowIfLessThan(trainEnd, 1, nameof(trainEnd));
        var mean = new double[columns.Count];
        var std = new double[columns.Count];
        for (int c = 0; c < columns.Count; c++)
        {
            ReadOnlySpan<double> train = columns[c].AsSpan(0, trainEnd);
            double sum = 0;
            foreach (double v in train)
                sum += v;
            double m = sum / train.Length;
            double squares = 0;
            foreach (double v in train)
                squares += (v - m) * (v - m);
            double s = Math.Sqrt(squares / train.Length);
            if (!(s > 1e-12 * Math.Max(1.0, Math.Abs(m))))
                throw new TimeSeriesDataException($"column '{names[c]}' is constant over the training part; it cannot be scaled.");
            mean[c] = m;
            std[c] = s;
        }
        return new TimeSeriesScaler(mean, std);
    }

    /// <summary>(value - mean) / std for column <paramref name="column"/>.</summary>
    public double Scale(int column, double value) => (value - Mean[column]) / Std[column];

    /// <summary>value * std + mean for column <paramref name="column"/>.</summary>
    public double Unscale(int column, double value) => value * Std[column] + Mean[column];
}
