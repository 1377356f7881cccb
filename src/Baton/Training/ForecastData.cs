using Baton.Data;
using Baton.Models;

namespace Baton.Training;

/// <summary>
/// A time series prepared for a forecast model: the input columns (targets first, then the other
/// features) standardised with statistics of the training part only, the chronological split, and the
/// windows that the model reads. The example at origin <c>t</c> is the window of rows
/// <c>t-W+1 .. t</c> [W, I] with the targets of rows <c>t+1 .. t+K</c> as its label, step-major
/// ([K, targets]), standardised with the same statistics.
/// </summary>
internal sealed class ForecastData
{
    private readonly int[] targetColumn;

    /// <summary>
    /// Prepares <paramref name="frame"/>. Inputs are <paramref name="targets"/> followed by
    /// <paramref name="features"/> (a name in both counts once, as a target). Too few rows for
    /// <paramref name="window"/> and <paramref name="horizon"/>, or a column constant over the training
    /// part, is a <see cref="TimeSeriesDataException"/>.
    /// </summary>
    public ForecastData(TimeSeriesFrame frame, IReadOnlyList<string> targets, IReadOnlyList<string> features, int window, int horizon)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(features);
        if (targets.Count == 0)
            throw new TimeSeriesDataException("no target column was named.");
        Frame = frame;
        Window = window;
        Horizon = horizon;
        Targets = [.. targets];
        Inputs = [.. targets.Concat(features.Where(f => !targets.Contains(f)))];
        Split = TimeSeriesSplit.Chronological(frame.Length, window, horizon);
        var columns = Inputs.Select(frame.Column).ToArray();
        Scaler = TimeSeriesScaler.Fit(Inputs, columns, Split.TrainEnd);
        targetColumn = [.. Enumerable.Range(0, Targets.Length)];
        Scaled = ScaleRows(columns, Scaler);
    }

    /// <summary>The series.</summary>
    public TimeSeriesFrame Frame { get; }

    /// <summary>Input column names, in model order (targets first).</summary>
    public string[] Inputs { get; }

    /// <summary>Target column names.</summary>
    public string[] Targets { get; }

    /// <summary>Window length W.</summary>
    public int Window { get; }

    /// <summary>Horizon K.</summary>
    public int Horizon { get; }

    /// <summary>The chronological split.</summary>
    public TimeSeriesSplit Split { get; }

    /// <summary>Standardisation of every input column, fitted on the training part.</summary>
    public TimeSeriesScaler Scaler { get; }

    /// <summary>Standardised inputs [rows, I], row-major.</summary>
    public float[] Scaled { get; }

    /// <summary>Raw values of target <paramref name="j"/>.</summary>
    public double[] TargetValues(int j) => Frame.Column(Targets[j]);

    /// <summary>The example at origin <paramref name="origin"/>: window [W, I] and standardised label [K, targets].</summary>
    public SequenceExample Example(int origin)
    {
        int I = Inputs.Length;
        int first = origin - Window + 1;
        if (first < 0 || origin + Horizon >= Frame.Length)
            throw new ArgumentOutOfRangeException(nameof(origin), $"origin {origin} needs rows {first} .. {origin + Horizon}.");
        float[] features = Scaled.AsSpan(first * I, Window * I).ToArray();
        var target = new float[Horizon * Targets.Length];
        for (int h = 0; h < Horizon; h++)
        {
            for (int j = 0; j < Targets.Length; j++)
                target[h * Targets.Length + j] = Scaled[(origin + 1 + h) * I + targetColumn[j]];
        }
        return new SequenceExample(null, features, 0, target);
    }

    /// <summary>Examples for every origin in [<paramref name="start"/>, <paramref name="end"/>).</summary>
    public List<SequenceExample> Examples(int start, int end)
    {
        var examples = new List<SequenceExample>(Math.Max(0, end - start));
        for (int origin = start; origin < end; origin++)
            examples.Add(Example(origin));
        return examples;
    }

    /// <summary>The model configuration for this data: inputs, targets, window, horizon and the scaling.</summary>
    public ModelConfig ModelConfig(string cell, int hidden, int layers) => new()
    {
        Task = "forecast",
        Cell = cell,
        Hidden = hidden,
        Layers = layers,
        InputSize = Inputs.Length,
        OutputSize = Horizon * Targets.Length,
        Features = Inputs,
        Targets = Targets,
        Window = Window,
        Horizon = Horizon,
        FeatureMean = [.. Scaler.Mean.Select(v => (float)v)],
        FeatureStd = [.. Scaler.Std.Select(v => (float)v)],
        TargetMean = [.. targetColumn.Select(c => (float)Scaler.Mean[c])],
        TargetStd = [.. targetColumn.Select(c => (float)Scaler.Std[c])],
    };

    private static float[] ScaleRows(double[][] columns, TimeSeriesScaler scaler)
    {
        int n = columns[0].Length;
        int I = columns.Length;
        var scaled = new float[n * I];
        var mean = scaler.Mean.Select(v => (float)v).ToArray();
        var std = scaler.Std.Select(v => (float)v).ToArray();
        for (int r = 0; r < n; r++)
        {
            for (int c = 0; c < I; c++)
                scaled[r * I + c] = ForecastScaling.Scale(columns[c][r], mean[c], std[c]);
        }
        return scaled;
    }
}
