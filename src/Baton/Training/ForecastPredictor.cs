using Baton.Models;

namespace Baton.Training;

/// <summary>
/// Batch forecasts of a trained forecast model: for each origin t, the window of raw rows
/// <c>t-W+1 .. t</c> is standardised with the model's stored statistics, run from the zero state,
/// and the head's output [K, targets] is mapped back to the targets' units.
/// </summary>
internal sealed class ForecastPredictor
{
    private readonly SequenceModel model;
    private readonly SequenceWorkspace workspace;
    private readonly float[] x;       // [W, B, I]
    private readonly int maxBatch;

    /// <summary>Prepares buffers for up to <paramref name="batch"/> windows per forward pass.</summary>
    public ForecastPredictor(SequenceModel model, int batch = 64)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1, nameof(batch));
        if (model.Config.TaskKind != TaskKind.Forecast)
            throw new ArgumentException($"The model's task is '{model.Config.Task}', not 'forecast'.", nameof(model));
        this.model = model;
        maxBatch = batch;
        workspace = model.CreateWorkspace(model.Config.Window, batch);
        x = new float[model.Config.Window * batch * model.Config.InputSize];
    }

    /// <summary>The model's configuration.</summary>
    public ModelConfig Config => model.Config;

    /// <summary>Number of values per forecast: horizon × targets, step-major.</summary>
    public int OutputSize => model.Config.OutputSize;

    /// <summary>
    /// Forecasts for origins [<paramref name="start"/>, <paramref name="end"/>) of raw rows
    /// <paramref name="rows"/> [n, I] (columns in the model's feature order). Returns
    /// [(end - start), K, targets] in the targets' units. Every origin needs W rows up to it.
    /// </summary>
    public double[] Predict(ReadOnlySpan<double> rows, int start, int end)
    {
        int I = model.Config.InputSize;
        int W = model.Config.Window;
        int n = rows.Length / I;
        if (rows.Length != n * I)
            throw new ArgumentException($"rows holds {rows.Length} values, not a multiple of {I}.", nameof(rows));
        if (start < W - 1 || end > n || start > end)
            throw new ArgumentOutOfRangeException(nameof(start), $"origins [{start}, {end}) must lie in [{W - 1}, {n}).");
        int O = OutputSize;
        var result = new double[(end - start) * O];
        for (int first = start; first < end; first += maxBatch)
        {
            int B = Math.Min(maxBatch, end - first);
            for (int t = 0; t < W; t++)
            {
                for (int b = 0; b < B; b++)
                {
                    int row = first + b - W + 1 + t;
                    ForecastScaling.Standardise(model.Config, rows.Slice(row * I, I), x.AsSpan((t * B + b) * I, I));
                }
            }
            var output = model.ForwardFeatures(workspace, x.AsSpan(0, W * B * I), W, B);
            for (int b = 0; b < B; b++)
                ForecastScaling.Restore(model.Config, output.Slice(b * O, O), result.AsSpan((first - start + b) * O, O));
        }
        return result;
    }
}
