using Baton.Models;

namespace Baton.Training;

/// <summary>
/// Batch forecasts of a trained forecast model: for each origin t, the rows up to t are turned into the network's
/// input as the model's <see cref="ForecastScheme"/> says (for the legacy scheme: the window of rows
/// <c>t-W+1 .. t</c> standardised with the model's stored statistics), run from the zero state, and the head's output
/// [K, targets] is mapped back to the targets' units (plus the scheme's base forecast).
/// </summary>
internal sealed class ForecastPredictor
{
    private readonly SequenceModel model;
    private readonly SequenceWorkspace workspace;
    private readonly float[] x;       // [T, B, I]
    private readonly double[] bases;  // [B, K·targets] base forecast of each origin in the batch
    private readonly int maxBatch;
    private readonly int steps;

    /// <summary>Prepares buffers for up to <paramref name="batch"/> windows per forward pass, with the legacy scheme.</summary>
    public ForecastPredictor(SequenceModel model, int batch = 64)
        : this(model, ForecastScheme.Legacy, batch)
    {
    }

    /// <summary>Prepares buffers for up to <paramref name="batch"/> windows per forward pass, with <paramref name="scheme"/>.</summary>
    public ForecastPredictor(SequenceModel model, ForecastScheme scheme, int batch = 64)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(scheme);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1, nameof(batch));
        if (model.Config.TaskKind != TaskKind.Forecast)
            throw new ArgumentException($"The model's task is '{model.Config.Task}', not 'forecast'.", nameof(model));
        this.model = model;
        Scheme = scheme;
        maxBatch = batch;
        steps = new ForecastInputs(model.Config, scheme).Steps;
        workspace = model.CreateWorkspace(steps, batch);
        x = new float[steps * batch * model.Config.InputSize];
        bases = new double[batch * model.Config.OutputSize];
    }

    /// <summary>The model's configuration.</summary>
    public ModelConfig Config => model.Config;

    /// <summary>How rows become inputs.</summary>
    public ForecastScheme Scheme { get; }

    /// <summary>Number of values per forecast: horizon × targets, step-major.</summary>
    public int OutputSize => model.Config.OutputSize;

    /// <summary>Raw values per row: the scheme's columns (targets first), or the model's inputs for the legacy scheme.</summary>
    public int RowSize => Scheme.Columns.Length > 0 ? Scheme.Columns.Length : model.Config.InputSize;

    /// <summary>The first origin a forecast can be made from.</summary>
    public int FirstOrigin => Scheme.FirstOrigin(model.Config.Window);

    /// <summary>
    /// Forecasts for origins [<paramref name="start"/>, <paramref name="end"/>) of raw rows
    /// <paramref name="rows"/> [n, C] (columns in <see cref="RowSize"/> order, from the start of the series the
    /// smoothing base runs over). Returns [(end - start), K, targets] in the targets' units.
    /// </summary>
    public double[] Predict(ReadOnlySpan<double> rows, int start, int end)
    {
        int C = RowSize;
        int n = rows.Length / C;
        if (rows.Length != n * C)
            throw new ArgumentException($"rows holds {rows.Length} values, not a multiple of {C}.", nameof(rows));
        if (start < FirstOrigin || end > n || start > end)
            throw new ArgumentOutOfRangeException(nameof(start), $"origins [{start}, {end}) must lie in [{FirstOrigin}, {n}).");
        int O = OutputSize;
        int I = model.Config.InputSize;
        var result = new double[(end - start) * O];
        var inputs = new ForecastInputs(model.Config, Scheme);
        for (int r = 0; r < start; r++)
            inputs.Append(rows.Slice(r * C, C));
        for (int first = start; first < end; first += maxBatch)
        {
            int B = Math.Min(maxBatch, end - first);
            for (int b = 0; b < B; b++)
            {
                inputs.Append(rows.Slice((first + b) * C, C));
                inputs.Write(x, b, B);
                inputs.Baseline.CopyTo(bases.AsSpan(b * O, O));
            }
            var output = model.ForwardFeatures(workspace, x.AsSpan(0, steps * B * I), steps, B);
            for (int b = 0; b < B; b++)
                inputs.Restore(output.Slice(b * O, O), bases.AsSpan(b * O, O), result.AsSpan((first - start + b) * O, O), Scheme.Blend);
        }
        return result;
    }
}
