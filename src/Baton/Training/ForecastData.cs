using Baton.Data;
using Baton.Models;

namespace Baton.Training;

/// <summary>
/// A time series prepared for a forecast model: the raw input columns (targets first, then the other features),
/// their mean and std over the training part only, the chronological split, the <see cref="ForecastScheme"/> and the
/// examples the model learns from. The example at origin <c>t</c> is the input sequence that
/// <see cref="ForecastScheme"/> describes for rows up to <c>t</c>, labelled with the targets of rows
/// <c>t+1 .. t+K</c> ([K, targets], step-major) minus the scheme's base forecast, over the target's std.
/// </summary>
internal sealed class ForecastData
{
    private readonly double[] rows;   // [n, C] raw

    /// <summary>
    /// Prepares <paramref name="frame"/> with the legacy scheme (global standardisation) and the default 70/15/15 split.
    /// </summary>
    public ForecastData(TimeSeriesFrame frame, IReadOnlyList<string> targets, IReadOnlyList<string> features, int window, int horizon)
        : this(frame, targets, features, window, horizon, ForecastScheme.Legacy, testRows: 0)
    {
    }

    /// <summary>
    /// Prepares <paramref name="frame"/>. Inputs are <paramref name="targets"/> followed by
    /// <paramref name="features"/> (a name in both counts once, as a target). <paramref name="testRows"/> &gt; 0 holds out
    /// that many rows for the test (else 15 %). Too few rows for <paramref name="window"/> and <paramref name="horizon"/>,
    /// or a column constant over the training part, is a <see cref="TimeSeriesDataException"/>.
    /// </summary>
    public ForecastData(TimeSeriesFrame frame, IReadOnlyList<string> targets, IReadOnlyList<string> features, int window, int horizon,
        ForecastScheme scheme, int testRows)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentNullException.ThrowIfNull(targets);
        ArgumentNullException.ThrowIfNull(features);
        ArgumentNullException.ThrowIfNull(scheme);
        if (targets.Count == 0)
            throw new TimeSeriesDataException("no target column was named.");
        Frame = frame;
        Window = window;
        Horizon = horizon;
        Targets = [.. targets];
        Columns = [.. targets.Concat(features.Where(f => !targets.Contains(f)))];
        Split = TimeSeriesSplit.Chronological(frame.Length, window, horizon, testRows);
        var columns = Columns.Select(frame.Column).ToArray();
        Scaler = TimeSeriesScaler.Fit(Columns, columns, Split.TrainEnd);
        Scheme = scheme with { Columns = Columns };
        rows = new double[frame.Length * Columns.Length];
        for (int c = 0; c < columns.Length; c++)
        {
            for (int r = 0; r < frame.Length; r++)
                rows[r * Columns.Length + c] = columns[c][r];
        }
        int first = Scheme.FirstOrigin(window);
        if (first + horizon >= Split.TrainEnd)
            throw new TimeSeriesDataException(
                $"the training part has {Split.TrainEnd} rows; the first forecast can be made at row {first} (window and two seasons of lags), too late to train on.");
    }

    /// <summary>The series.</summary>
    public TimeSeriesFrame Frame { get; }

    /// <summary>Raw input column names: targets first, then features.</summary>
    public string[] Columns { get; }

    /// <summary>Network input names per step: the raw columns, then the lag, base and future-flag inputs of the scheme.</summary>
    public string[] Inputs => [.. Columns, .. DerivedInputs()];

    /// <summary>Target column names.</summary>
    public string[] Targets { get; }

    /// <summary>Window length W.</summary>
    public int Window { get; }

    /// <summary>Horizon K.</summary>
    public int Horizon { get; }

    /// <summary>How inputs and outputs are formed.</summary>
    public ForecastScheme Scheme { get; }

    /// <summary>The chronological split.</summary>
    public TimeSeriesSplit Split { get; }

    /// <summary>Mean and std of every raw column, fitted on the training part.</summary>
    public TimeSeriesScaler Scaler { get; }

    /// <summary>Raw rows [n, C] in <see cref="Columns"/> order.</summary>
    public ReadOnlySpan<double> Rows => rows;

    /// <summary>The first origin the scheme can forecast from.</summary>
    public int FirstOrigin => Scheme.FirstOrigin(Window);

    /// <summary>Raw values of target <paramref name="j"/>.</summary>
    public double[] TargetValues(int j) => Frame.Column(Targets[j]);

    /// <summary>The example at origin <paramref name="origin"/>: input [T, I] and label [K, targets].</summary>
    public SequenceExample Example(int origin) => Examples(origin, origin + 1)[0];

    /// <summary>Examples for every origin in [<paramref name="start"/>, <paramref name="end"/>).</summary>
    public List<SequenceExample> Examples(int start, int end)
    {
        if (start < FirstOrigin || end + Horizon > Frame.Length)
            throw new ArgumentOutOfRangeException(nameof(start), $"origins [{start}, {end}) must lie in [{FirstOrigin}, {Frame.Length - Horizon}).");
        var config = ModelConfig("lstm", 1, 1);
        var inputs = new ForecastInputs(config, Scheme);
        int C = Columns.Length, J = Targets.Length;
        var future = new double[Horizon * J];
        var examples = new List<SequenceExample>(Math.Max(0, end - start));
        for (int r = 0; r < end; r++)
        {
            inputs.Append(rows.AsSpan(r * C, C));
            if (r < start)
                continue;
            var x = new float[inputs.Steps * inputs.InputSize];
            inputs.Write(x, 0, 1);
            for (int h = 0; h < Horizon; h++)
            {
                for (int j = 0; j < J; j++)
                    future[h * J + j] = rows[(r + 1 + h) * C + j];
            }
            var label = new float[Horizon * J];
            inputs.Label(future, label);
            examples.Add(new SequenceExample(null, x, 0, label));
        }
        return examples;
    }

    /// <summary>The model configuration for this data: inputs, targets, window, horizon and the scaling.</summary>
    public ModelConfig ModelConfig(string cell, int hidden, int layers)
    {
        string[] derived = DerivedInputs();
        int J = Targets.Length;
        float[] mean = [.. Scaler.Mean.Select(v => (float)v)];
        float[] std = [.. Scaler.Std.Select(v => (float)v)];
        // Derived inputs are normalised like their target (lags, base) or not at all (the flag): their statistics say so.
        var derivedMean = new List<float>();
        var derivedStd = new List<float>();
        for (int j = 0; j < J; j++)
        {
            for (int k = 0; k < 2 * Scheme.LagSeasons.Length; k++)
            {
                derivedMean.Add(mean[j]);
                derivedStd.Add(std[j]);
            }
        }
        if (Scheme.Base != ForecastBase.None)
        {
            derivedMean.AddRange(mean[..J]);
            derivedStd.AddRange(std[..J]);
        }
        if (Scheme.HasFutureSteps)
        {
            derivedMean.Add(0);
            derivedStd.Add(1);
        }
        return new()
        {
            Task = "forecast",
            Cell = cell,
            Hidden = hidden,
            Layers = layers,
            InputSize = Columns.Length + derived.Length,
            OutputSize = Horizon * J,
            Features = [.. Columns, .. derived],
            Targets = Targets,
            Window = Window,
            Horizon = Horizon,
            FeatureMean = [.. mean, .. derivedMean],
            FeatureStd = [.. std, .. derivedStd],
            TargetMean = mean[..J],
            TargetStd = std[..J],
        };
    }

    private string[] DerivedInputs()
    {
        if (!Scheme.HasFutureSteps)
            return [];
        var names = new List<string>();
        foreach (string target in Targets)
        {
            foreach (int m in Scheme.LagSeasons)
            {
                names.Add($"{target}@lag{m}");
                names.Add($"{target}@lag{2 * m}");
            }
        }
        if (Scheme.Base != ForecastBase.None)
            names.AddRange(Targets.Select(t => $"{t}@base"));
        names.Add("@future");
        return [.. names];
    }
}
