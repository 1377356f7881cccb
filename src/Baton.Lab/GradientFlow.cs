using Baton.Lab.Tasks;

namespace Baton.Lab;

/// <summary>
/// How far back the gradient of a loss at the last step reaches, by distance d = T − t from the end:
/// ‖∂L/∂h_t‖₂ (the total gradient that backpropagation through time delivers to the state h_t, with the
/// LSTM's cell c_t held as a separate state), ‖∂L/∂c_t‖₂ for the LSTM (d ≥ 1; NaN at d = 0), and the Frobenius norm
/// ‖∂h_T/∂h_t‖_F of the state-to-state Jacobian, computed exactly as H backward passes (one per unit of
/// h_T, no estimate). Index d of every array is the distance; d = 0 is the last step.
/// </summary>
internal sealed record GradientProfile(string Cell, int Length, int Hidden, double[] LossGradient, double[] CellGradient, double[] Jacobian)
{
    /// <summary>A value counts as vanished below this fraction of its value at d = 0.</summary>
    public const double VanishingRatio = 1e-6;

    /// <summary>
    /// The first distance at which <paramref name="values"/> falls below <see cref="VanishingRatio"/> of
    /// its value at d = 0, or null when it never does within the sequence.
    /// </summary>
    public static int? VanishingDistance(double[] values)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Length == 0 || !(values[0] > 0))
            return null;
        for (int d = 1; d < values.Length; d++)
            if (values[d] < VanishingRatio * values[0])
                return d;
        return null;
    }
}

/// <summary>Measures a <see cref="GradientProfile"/> of a <see cref="MemoryModel"/> on sequences of a task whose loss sits at the last step.</summary>
internal static class GradientFlow
{
    /// <summary>Bound on T·B·H of one batched call, to bound the workspace.</summary>
    private const long MaxBatchFloats = 2_000_000;

    /// <summary>
    /// Runs the model over <paramref name="sample"/> (S sequences), takes the batch-mean loss at the last step,
    /// and for every t = 0..T replays the suffix x_{t+1..T} from the state h_t as a batch of its own
    /// (h0 = h_t, c0 = c_t, lengths T − t), backpropagating ∂L/∂h_T (for ∂L/∂h_t) and the unit vectors
    /// e_j (for ∂h_T/∂h_t) to the start state. Norms are over all S sequences (Jacobian: the root of the summed
    /// squared Frobenius norms, so d = 0 gives √(S·H)). Leaves the parameter gradients zeroed.
    /// </summary>
    public static GradientProfile Measure(MemoryModel model, TaskBatch sample, bool jacobian = true)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(sample);
        if (sample.OutputSteps != 1)
            throw new ArgumentException("Gradient flow needs a task whose loss sits at the last step only.", nameof(sample));
        var rec = model.Recurrence;
        int T = sample.T, S = sample.B, I = sample.Features, H = rec.Hidden;
        bool lstm = rec.HasCellState;

        // States after t steps, t = 0..T: h[t] [S, H] (h[0] = 0), and c[t] for the LSTM, one step at a time.
        var h = new float[T + 1][];
        var c = new float[T + 1][];
        h[0] = new float[S * H];
        c[0] = new float[S * H];
        var y1 = new float[S * H];
        for (int t = 0; t < T; t++)
        {
            h[t + 1] = new float[S * H];
            c[t + 1] = new float[S * H];
            rec.Forward(sample.Inputs.AsSpan(t * S * I, S * I), 1, S, [], h[t], c[t], y1, h[t + 1], c[t + 1]);
        }

        var dhT = new float[S * H];   // ∂L/∂h_T [S, H]
        model.Parameters.ZeroGrad();
        model.LastStateGradient(sample, dhT);

        var loss = new double[T + 1];
        var cell = lstm ? new double[T + 1] : [];
        var jac = jacobian ? new double[T + 1] : [];
        loss[0] = Norm(dhT);
        if (lstm)
            cell[0] = double.NaN; // c_T has no gradient of its own here: the loss reads it only through h_T = o ⊙ tanh(c_T)
        if (jacobian)
            jac[0] = Math.Sqrt(S * H);

        // ∂L/∂h_t: one replayed suffix per (t, s), seeded with ∂L/∂h_T.
        Replay(model, sample, h, c, probesPerStart: 1, (s, j, dhn) => dhT.AsSpan(s * H, H).CopyTo(dhn),
            (t, s, j, dh0, dc0) =>
            {
                loss[T - t] += SumSquares(dh0);
                if (lstm)
                    cell[T - t] += SumSquares(dc0);
            });
        if (jacobian)
        {
            Replay(model, sample, h, c, probesPerStart: H, (s, j, dhn) => { dhn.Clear(); dhn[j] = 1f; },
                (t, s, j, dh0, dc0) => jac[T - t] += SumSquares(dh0));
        }
        for (int d = 1; d <= T; d++)
        {
            loss[d] = Math.Sqrt(loss[d]);
            if (lstm)
                cell[d] = Math.Sqrt(cell[d]);
            if (jacobian)
                jac[d] = Math.Sqrt(jac[d]);
        }
        model.Parameters.ZeroGrad();
        return new GradientProfile(rec.Cell, T, H, loss, cell, jac);
    }

    private delegate void Seed(int s, int j, Span<float> dhn);
    private delegate void Collect(int t, int s, int j, ReadOnlySpan<float> dh0, ReadOnlySpan<float> dc0);

    /// <summary>
    /// For every start t = 0..T−1, sequence s and probe j: a batch row that starts from (h_t, c_t), reads
    /// x_{t..T−1} of sequence s, is seeded at its last step by <paramref name="seed"/>, and whose start-state
    /// gradient goes to <paramref name="collect"/>. Rows are processed in chunks that bound the workspace.
    /// </summary>
    private static void Replay(MemoryModel model, TaskBatch sample, float[][] h, float[][] c, int probesPerStart, Seed seed, Collect collect)
    {
        var rec = model.Recurrence;
        int T = sample.T, S = sample.B, I = sample.Features, H = rec.Hidden;
        int rows = T * S * probesPerStart;
        int chunk = (int)Math.Clamp(MaxBatchFloats / ((long)T * H), 1, rows);
        var x = new float[T * chunk * I];      // [T, chunk, I]
        var y = new float[T * chunk * H];      // [T, chunk, H]
        var dy = new float[T * chunk * H];     // zero: the loss is at the last step only
        var lengths = new int[chunk];
        var h0 = new float[chunk * H];
        var c0 = new float[chunk * H];
        var hn = new float[chunk * H];
        var cn = new float[chunk * H];
        var dhn = new float[chunk * H];
        var dh0 = new float[chunk * H];
        var dc0 = new float[chunk * H];
        for (int first = 0; first < rows; first += chunk)
        {
            int B = Math.Min(chunk, rows - first);
            Array.Clear(x);
            for (int b = 0; b < B; b++)
            {
                var (t, s, j) = Decode(first + b, S, probesPerStart);
                lengths[b] = T - t;
                for (int step = 0; step < T - t; step++)
                    sample.Inputs.AsSpan(((t + step) * S + s) * I, I).CopyTo(x.AsSpan((step * B + b) * I, I));
                h[t].AsSpan(s * H, H).CopyTo(h0.AsSpan(b * H, H));
                c[t].AsSpan(s * H, H).CopyTo(c0.AsSpan(b * H, H));
                seed(s, j, dhn.AsSpan(b * H, H));
            }
            rec.Forward(x.AsSpan(0, T * B * I), T, B, lengths.AsSpan(0, B), h0.AsSpan(0, B * H), c0.AsSpan(0, B * H),
                y.AsSpan(0, T * B * H), hn.AsSpan(0, B * H), cn.AsSpan(0, B * H));
            rec.Backward(dy.AsSpan(0, T * B * H), dhn.AsSpan(0, B * H), [], dh0.AsSpan(0, B * H), dc0.AsSpan(0, B * H));
            for (int b = 0; b < B; b++)
            {
                var (t, s, j) = Decode(first + b, S, probesPerStart);
                collect(t, s, j, dh0.AsSpan(b * H, H), rec.HasCellState ? dc0.AsSpan(b * H, H) : []);
            }
        }
    }

    private static (int T, int S, int J) Decode(int row, int S, int probes) => (row / (S * probes), row / probes % S, row % probes);

    private static double SumSquares(ReadOnlySpan<float> v)
    {
        double sum = 0;
        foreach (float x in v)
            sum += (double)x * x;
        return sum;
    }

    private static double Norm(ReadOnlySpan<float> v) => Math.Sqrt(SumSquares(v));
}
