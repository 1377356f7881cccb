using Baton.Models;

namespace Baton.Training;

/// <summary>
/// Streaming forecasts, one row at a time, equal to <see cref="ForecastPredictor"/>'s batch forecasts
/// without re-reading any history. The model forecasts from a window of W rows started from the zero
/// state, so the stream carries W recurrent states, one per window still open: slot <c>r mod W</c>
/// starts fresh at row r, every row advances all W slots with one batched <see cref="SequenceModel.Step(SequenceStream, ReadOnlySpan{float})"/>,
/// and the slot that has just seen its W-th row yields the forecast. No allocation per row.
/// </summary>
internal sealed class ForecastStream
{
    private readonly SequenceModel model;
    private readonly SequenceStream stream;
    private readonly float[] x;       // [W, I]: the current row, once per slot
    private readonly int window;

    /// <summary>Creates the stream at the start of a series (no rows seen).</summary>
    public ForecastStream(SequenceModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        if (model.Config.TaskKind != TaskKind.Forecast)
            throw new ArgumentException($"The model's task is '{model.Config.Task}', not 'forecast'.", nameof(model));
        this.model = model;
        window = model.Config.Window;
        stream = model.CreateStream(window);
        x = new float[window * model.Config.InputSize];
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
        int I = model.Config.InputSize;
        if (row.Length != I)
            throw new ArgumentException($"row holds {row.Length} values, the model reads {I}.", nameof(row));
        if (forecast.Length != OutputSize)
            throw new ArgumentException($"forecast holds {forecast.Length} values, {OutputSize} expected.", nameof(forecast));
        int starting = (int)(Rows % window);
        ResetSlot(starting);
        ForecastScaling.Standardise(model.Config, row, x.AsSpan(0, I));
        for (int slot = 1; slot < window; slot++)
            x.AsSpan(0, I).CopyTo(x.AsSpan(slot * I, I));
        var output = model.Step(stream, x);
        Rows++;
        if (Rows < window)
            return false;
        int finishing = (int)((Rows - window) % window);
        ForecastScaling.Restore(model.Config, output.Slice(finishing * OutputSize, OutputSize), forecast);
        return true;
    }

    private void ResetSlot(int slot)
    {
        var state = stream.State;
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
