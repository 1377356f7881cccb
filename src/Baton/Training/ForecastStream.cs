using Baton.Models;

namespace Baton.Training;

/// <summary>
/// Streaming forecasts, one row at a time, equal to <see cref="ForecastPredictor"/>'s batch forecasts
/// without re-reading any history. The model forecasts from a window of W rows started from the zero
/// state, so the stream carries W recurrent states, one per window still open: slot <c>r mod W</c>
/// starts fresh at row r, every row advances all W slots with one batched <see cref="SequenceModel.Step(SequenceStream, ReadOnlySpan{float})"/>,
/// and the slot that has just seen its W-th row yields the forecast. No allocation per row.
/// A scheme with window-level normalisation, lags or a base normalises each window by its own origin, so no
/// state can be shared between windows: each new row runs its window (W + K steps) once, through the same
/// <see cref="ForecastInputs"/> as batch prediction; still no history is re-read and no allocation is made per row.
/// </summary>
internal sealed class ForecastStream
{
    private readonly SequenceModel model;
    private readonly SequenceStream? stream;
    private readonly float[] x;       // legacy: [W, I], the current row once per slot; else [T, I], the current origin's input
    private readonly int window;
    private readonly ForecastScheme scheme;
    private readonly ForecastInputs? inputs;
    private readonly SequenceWorkspace? workspace;

    /// <summary>Creates the stream at the start of a series (no rows seen), with the legacy scheme.</summary>
    public ForecastStream(SequenceModel model)
        : this(model, ForecastScheme.Legacy)
    {
    }

    /// <summary>Creates the stream at the start of a series (no rows seen), with <paramref name="scheme"/>.</summary>
    public ForecastStream(SequenceModel model, ForecastScheme scheme)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(scheme);
        if (model.Config.TaskKind != TaskKind.Forecast)
            throw new ArgumentException($"The model's task is '{model.Config.Task}', not 'forecast'.", nameof(model));
        this.model = model;
        this.scheme = scheme;
        window = model.Config.Window;
        if (scheme.Normalisation == ForecastNormalisation.Global && !scheme.HasFutureSteps)
        {
            stream = model.CreateStream(window);
            x = new float[window * model.Config.InputSize];
            return;
        }
        inputs = new ForecastInputs(model.Config, scheme);
        workspace = model.CreateWorkspace(inputs.Steps, 1);
        x = new float[inputs.Steps * inputs.InputSize];
    }

    /// <summary>Rows pushed so far.</summary>
    public long Rows { get; private set; }

    /// <summary>Values per forecast: horizon × targets, step-major.</summary>
    public int OutputSize => model.Config.OutputSize;

    /// <summary>
    /// Adds raw row <paramref name="row"/> [I] (the model's feature order). Once W rows have been seen,
    /// writes the forecast [K, targets] made at this row into <paramref name="forecast"/> and returns true.
    /// </summary>
    public bool Push(ReadOnlySpan<double> row, Span<double> forecast)
    {
        if (forecast.Length != OutputSize)
            throw new ArgumentException($"forecast holds {forecast.Length} values, {OutputSize} expected.", nameof(forecast));
        if (inputs is not null)
            return PushWindow(row, forecast);
        int I = model.Config.InputSize;
        if (row.Length != I)
            throw new ArgumentException($"row holds {row.Length} values, the model reads {I}.", nameof(row));
        int starting = (int)(Rows % window);
        ResetSlot(starting);
        ForecastScaling.Standardise(model.Config, row, x.AsSpan(0, I));
        for (int slot = 1; slot < window; slot++)
            x.AsSpan(0, I).CopyTo(x.AsSpan(slot * I, I));
        var output = model.Step(stream!, x);
        Rows++;
        if (Rows < window)
            return false;
        int finishing = (int)((Rows - window) % window);
        ForecastScaling.Restore(model.Config, output.Slice(finishing * OutputSize, OutputSize), forecast);
        return true;
    }

    private bool PushWindow(ReadOnlySpan<double> row, Span<double> forecast)
    {
        int C = scheme.Columns.Length;
        if (row.Length != C)
            throw new ArgumentException($"row holds {row.Length} values, the model reads {C} columns.", nameof(row));
        inputs!.Append(row);
        Rows++;
        if (!inputs.Ready)
            return false;
        inputs.Write(x, 0, 1);
        var output = model.ForwardFeatures(workspace!, x, inputs.Steps, 1);
        inputs.Restore(output, inputs.Baseline, forecast, scheme.Blend);
        return true;
    }

    private void ResetSlot(int slot)
    {
        var state = stream!.State;
        int states = state.H.Length / window;   // per slot: layers × state size
        int layers = model.Config.Layers;
        int hSize = states / layers;
        for (int l = 0; l < layers; l++)
            state.H.Slice((l * window + slot) * hSize, hSize).Clear();
        if (!state.C.IsEmpty)
        {
            int cSize = state.C.Length / window / layers;
            for (int l = 0; l < layers; l++)
                state.C.Slice((l * window + slot) * cSize, cSize).Clear();
        }
    }
}
