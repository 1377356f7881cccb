using System.Numerics.Tensors;
using Baton.Layers;
using Baton.Numerics;

namespace Baton.Parallel;

/// <summary>
/// Evaluates a trained single-layer, single-direction GRU or LSTM (PyTorch equations and tensor names, as in
/// <see cref="RecurrentStack"/>) over a whole sequence by Newton iterations on all states at once (DEER, Lim et al.
/// 2024). The state s is h (GRU) or [h, c] (LSTM, D = 2H). Each iteration evaluates f(s̄_{t−1}, x_t) and its Jacobian
/// for every t at once — one GEMM over all T·B rows instead of T small ones — and solves the linearised recurrence
/// (see <see cref="DeerVariant"/>). Falls back to the sequential loop when the iteration does not converge.
/// Not thread-safe: one instance per concurrent caller (it owns its buffers).
/// </summary>
internal sealed class Deer
{
    /// <summary>Largest state width D for <see cref="DeerVariant.Full"/> (its Jacobians take T·B·D² floats).</summary>
    public const int MaxFullStateSize = 256;

    /// <summary>
    /// The damped variant gives up (and falls back) once its trust radius is below this: a step that small is under
    /// float32's resolution of states of order 1, so the residual has reached its rounding floor and cannot fall further.
    /// </summary>
    public const float MinTrustRadius = 1e-7f;

    private readonly CellKind cell;
    private readonly int I, H, G, D;
    private readonly float[] weightIh, weightHh, biasIh, biasHh;   // [G·H, I], [G·H, H], [G·H], [G·H]
    private readonly DeerCell weights;

    // Buffers, grown on demand: rows = T·B.
    private float[] wx = [];        // [rows, G·H] x W_ihᵀ + b_ih
    private float[] wh = [];        // [rows, G·H] h W_hhᵀ + b_hh
    private float[] state = [];     // [rows, D]   current guess s̄
    private float[] trial = [];     // [rows, D]   next guess
    private float[] f = [];         // [rows, D]   f(s̄_{t−1}, x_t)
    private float[] jd = [];        // [rows, D]   diag J_t
    private float[] jfull = [];     // [rows, D, D] J_t (Full only)
    private float[] ftrial = [], jdtrial = [];
    private float[] shifted = [];   // [rows, D]   s̄_{t−1}
    private float[] rhs = [];       // [rows, D]   f − J s̄_{t−1}
    private float[] s0 = [];        // [B, D]

    /// <summary>Reads <c>{prefix}weight_ih_l0</c>, <c>weight_hh_l0</c>, <c>bias_ih_l0</c>, <c>bias_hh_l0</c> from <paramref name="parameters"/> (copied).</summary>
    public Deer(CellKind cell, int inputSize, int hiddenSize, Parameters parameters, string prefix = "rnn.")
    {
        weights = new DeerCell(cell, inputSize, hiddenSize, parameters, prefix);
        (this.cell, I, H, G, D) = (cell, weights.I, weights.H, weights.G, weights.D);
        (weightIh, weightHh, biasIh, biasHh) = (weights.WeightIh, weights.WeightHh, weights.BiasIh, weights.BiasHh);
    }

    /// <summary>Takes the weights of a one-layer, unidirectional GRU or LSTM stack without projection.</summary>
    public Deer(RecurrentStack stack, Parameters parameters, string prefix = "rnn.")
        : this(DeerCell.Evaluable(stack).Options.Cell, stack.Options.InputSize, stack.Options.HiddenSize, parameters, prefix)
    {
    }

    /// <summary>Width of the state s: H for a GRU, 2H ([h, c]) for an LSTM.</summary>
    public int StateSize => D;

    /// <summary>
    /// DEER evaluation. x: <c>[T, B, I]</c>; h0, c0: empty (zero) or <c>[B, H]</c> (c0 LSTM only);
    /// y: <c>[T, B, H]</c> receives h_t. The output is the sequential result when <see cref="DeerResult.FellBack"/>.
    /// </summary>
    public DeerResult Evaluate(ReadOnlySpan<float> x, int T, int B, ReadOnlySpan<float> h0, ReadOnlySpan<float> c0, Span<float> y,
        DeerOptions? options = null)
    {
        options ??= new DeerOptions();
        if (options.Variant == DeerVariant.Full && D > MaxFullStateSize)
            throw new ArgumentException($"Full DEER needs D ≤ {MaxFullStateSize}; this cell has D = {D}.", nameof(options));
        Prepare(x, T, B, h0, c0, y);
        int rows = T * B;
        if (rows == 0)
            return new DeerResult(0, 0, true, false, 0f);
        int cap = options.MaxIterations > 0 ? options.MaxIterations : T;
        bool full = options.Variant == DeerVariant.Full;

        // Initial guess: every s_t = s0.
        for (int t = 0; t < T; t++)
            s0.AsSpan(0, B * D).CopyTo(state.AsSpan(t * B * D, B * D));
        int evaluations = 1;
        float residual = EvaluateAll(state, T, B, f, jd, full);
        int iterations = 0;
        var region = new TrustRegion(options.InitialRadius);
        while (!(residual <= options.Tolerance) && iterations < cap)
        {
            iterations++;
            Solve(T, B, full, trial);   // trial = Newton (or quasi-Newton) solution of the linearised recurrence
            if (options.Variant != DeerVariant.Damped)
            {
                (state, trial) = (trial, state);
                residual = EvaluateAll(state, T, B, f, jd, full);
                evaluations++;
                continue;
            }
            // Trust region on the step.
            var s = state.AsSpan(0, rows * D);
            var step = trial.AsSpan(0, rows * D);
            TensorPrimitives.Subtract(step, s, step);
            float size = Math.Abs(TensorPrimitives.MaxMagnitude(step));
            float alpha = region.Scale(size);
            TensorPrimitives.MultiplyAdd(step, alpha, s, step);
            float trialResidual = EvaluateAll(trial, T, B, ftrial, jdtrial, false);
            evaluations++;
            if (region.Accept(trialResidual, residual, alpha, size))
            {
                (state, trial) = (trial, state);
                (f, ftrial) = (ftrial, f);
                (jd, jdtrial) = (jdtrial, jd);
                residual = trialResidual;
            }
            else if (region.Exhausted)
            {
                break;
            }
        }

        if (residual <= options.Tolerance)
        {
            CopyHidden(state, rows, y);
            return new DeerResult(iterations, evaluations, true, false, residual);
        }
        EvaluateSequential(x, T, B, h0, c0, y);
        return new DeerResult(iterations, evaluations, false, true, residual);
    }

    /// <summary>The sequential loop (T steps of one B-row GEMM each) that DEER must reproduce; also its fallback.</summary>
    public void EvaluateSequential(ReadOnlySpan<float> x, int T, int B, ReadOnlySpan<float> h0, ReadOnlySpan<float> c0, Span<float> y)
    {
        Prepare(x, T, B, h0, c0, y);
        int rows = B * D;
        for (int t = 0; t < T; t++)
        {
            ReadOnlySpan<float> prev = t == 0 ? s0.AsSpan(0, rows) : state.AsSpan((t - 1) * rows, rows);
            Cell(wx.AsSpan(t * B * G * H, B * G * H), prev, wh.AsSpan(0, B * G * H), state.AsSpan(t * rows, rows), [], false, B);
        }
        CopyHidden(state, T * B, y);
    }

    private void Prepare(ReadOnlySpan<float> x, int T, int B, ReadOnlySpan<float> h0, ReadOnlySpan<float> c0, Span<float> y)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(T);
        ArgumentOutOfRangeException.ThrowIfLessThan(B, 1);
        int rows = T * B;
        if (x.Length != rows * I)
            throw new ArgumentException($"x has {x.Length} values; expected T·B·I = {rows * I}.", nameof(x));
        if (y.Length != rows * H)
            throw new ArgumentException($"y has {y.Length} values; expected T·B·H = {rows * H}.", nameof(y));
        Grow(ref s0, B * D);
        weights.Start(B, h0, c0, s0);
        Grow(ref wx, rows * G * H);
        Grow(ref wh, rows * G * H);
        Grow(ref state, rows * D);
        Grow(ref trial, rows * D);
        Grow(ref f, rows * D);
        Grow(ref jd, rows * D);
        Grow(ref ftrial, rows * D);
        Grow(ref jdtrial, rows * D);
        Grow(ref shifted, rows * D);
        Grow(ref rhs, rows * D);
        if (rows == 0)
            return;
        var pre = wx.AsSpan(0, rows * G * H);
        Gemm.Sgemm(false, true, rows, G * H, I, 1f, x, I, weightIh, I, 0f, pre, G * H);
        for (int r = 0; r < rows; r++)
            TensorPrimitives.Add(pre.Slice(r * G * H, G * H), biasIh, pre.Slice(r * G * H, G * H));
    }

    private static void Grow(ref float[] buffer, int length)
    {
        if (buffer.Length < length)
            buffer = new float[length];
    }

    // f and the Jacobian (diagonal, and full when asked) at s_{t−1} = guess_{t−1} for every row; returns max |s − f|.
    private float EvaluateAll(float[] guess, int T, int B, float[] fOut, float[] jdOut, bool full)
    {
        int rows = T * B, n = B * D;
        var prev = shifted.AsSpan(0, rows * D);
        s0.AsSpan(0, n).CopyTo(prev);
        guess.AsSpan(0, (rows - B) * D).CopyTo(prev[n..]);
        if (full)
            Grow(ref jfull, rows * D * D);
        Cell(wx.AsSpan(0, rows * G * H), prev, wh.AsSpan(0, rows * G * H), fOut.AsSpan(0, rows * D), jdOut.AsSpan(0, rows * D), full, rows);
        var diff = rhs.AsSpan(0, rows * D);
        TensorPrimitives.Subtract(guess.AsSpan(0, rows * D), fOut.AsSpan(0, rows * D), diff);
        float residual = Math.Abs(TensorPrimitives.MaxMagnitude(diff));
        return float.IsNaN(residual) ? float.PositiveInfinity : residual;
    }

    // Solves s_t = J_t s_{t−1} + (f_t − J_t s̄_{t−1}) for all t from s0 into `output`.
    private void Solve(int T, int B, bool full, float[] output)
    {
        int rows = T * B, n = B * D;
        var prev = shifted.AsSpan(0, rows * D);       // s̄_{t−1} of the current guess (a rejected damped trial overwrote it)
        s0.AsSpan(0, n).CopyTo(prev);
        state.AsSpan(0, (rows - B) * D).CopyTo(prev[n..]);
        var b = rhs.AsSpan(0, rows * D);
        if (!full)
        {
            // b = f − diag(J) ⊙ s̄_{t−1}; then one elementwise scan.
            TensorPrimitives.Multiply(jd.AsSpan(0, rows * D), prev, b);
            TensorPrimitives.Subtract(f.AsSpan(0, rows * D), b, b);
            LinearScan.Forward(jd.AsSpan(0, rows * D), b, s0.AsSpan(0, n), output.AsSpan(0, rows * D), T, n);
            return;
        }
        var J = jfull.AsSpan(0, rows * D * D);
        var o = output.AsSpan(0, rows * D);
        for (int r = 0; r < rows; r++)
        {
            var jr = J.Slice(r * D * D, D * D);
            var br = b.Slice(r * D, D);
            var pr = prev.Slice(r * D, D);
            var fr = f.AsSpan(r * D, D);
            var sr = o.Slice(r * D, D);
            var sPrev = r < B ? s0.AsSpan(r * D, D) : o.Slice((r - B) * D, D);
            for (int i = 0; i < D; i++)
            {
                var row = jr.Slice(i * D, D);
                sr[i] = fr[i] + TensorPrimitives.Dot(row, sPrev) - TensorPrimitives.Dot(row, pr);
            }
        }
    }

    private void CopyHidden(float[] source, int rows, Span<float> y)
    {
        for (int r = 0; r < rows; r++)
            source.AsSpan(r * D, H).CopyTo(y.Slice(r * H, H));
    }

    // One cell evaluation for `rows` rows: s' = f(s, x) from gx = x W_ihᵀ + b_ih, with gh = h W_hhᵀ + b_hh computed here.
    // jd (if not empty) receives diag ∂s'/∂s; when `full`, jfull receives the whole D×D Jacobian per row.
    private void Cell(ReadOnlySpan<float> gx, ReadOnlySpan<float> s, Span<float> gh, Span<float> next, Span<float> jdOut, bool full, int rows)
    {
        int GH = G * H;
        // The h part of each state row starts at column 0 with row stride D.
        Gemm.Sgemm(false, true, rows, GH, H, 1f, s, D, weightHh, H, 0f, gh, GH);
        for (int r = 0; r < rows; r++)
        {
            var ghRow = gh.Slice(r * GH, GH);
            TensorPrimitives.Add(ghRow, biasHh, ghRow);
            var gxRow = gx.Slice(r * GH, GH);
            var sRow = s.Slice(r * D, D);
            var nextRow = next.Slice(r * D, D);
            var jdRow = jdOut.IsEmpty ? Span<float>.Empty : jdOut.Slice(r * D, D);
            var jRow = full ? jfull.AsSpan(r * D * D, D * D) : Span<float>.Empty;
            if (cell == CellKind.Gru)
                GruRow(gxRow, ghRow, sRow, nextRow, jdRow, jRow);
            else
                LstmRow(gxRow, ghRow, sRow, nextRow, jdRow, jRow);
        }
    }

    // r = σ(gx_r + gh_r), z = σ(gx_z + gh_z), n = tanh(gx_n + r·gh_n), h' = (1 − z) n + z h.
    // ∂h'_i/∂h_j = z_i δ_ij + (h_i − n_i) z_i(1 − z_i) W_hz[i, j] + (1 − z_i)(1 − n_i²)(r_i W_hn[i, j] + gh_n,i r_i(1 − r_i) W_hr[i, j]).
    private void GruRow(ReadOnlySpan<float> gx, ReadOnlySpan<float> gh, ReadOnlySpan<float> h, Span<float> next, Span<float> jd, Span<float> j)
    {
        for (int i = 0; i < H; i++)
        {
            float r = ScalarMath.Sigmoid(gx[i] + gh[i]);
            float z = ScalarMath.Sigmoid(gx[H + i] + gh[H + i]);
            float n = MathF.Tanh(gx[2 * H + i] + r * gh[2 * H + i]);
            next[i] = (1f - z) * n + z * h[i];
            if (jd.IsEmpty && j.IsEmpty)
                continue;
            float cz = (h[i] - n) * z * (1f - z);
            float cn = (1f - z) * (1f - n * n);
            float cr = cn * gh[2 * H + i] * r * (1f - r);
            float crn = cn * r;
            var wr = weightHh.AsSpan(i * H, H);
            var wz = weightHh.AsSpan((H + i) * H, H);
            var wn = weightHh.AsSpan((2 * H + i) * H, H);
            if (!jd.IsEmpty)
                jd[i] = z + cz * wz[i] + crn * wn[i] + cr * wr[i];
            if (!j.IsEmpty)
            {
                var row = j.Slice(i * D, D);
                for (int k = 0; k < H; k++)
                    row[k] = cz * wz[k] + crn * wn[k] + cr * wr[k];
                row[i] += z;
            }
        }
    }

    // i, f, o = σ, g = tanh of gx + gh; c' = f c + i g; h' = o tanh(c'). State [h, c].
    private void LstmRow(ReadOnlySpan<float> gx, ReadOnlySpan<float> gh, ReadOnlySpan<float> s, Span<float> next, Span<float> jd, Span<float> j)
    {
        for (int k = 0; k < H; k++)
        {
            float ig = ScalarMath.Sigmoid(gx[k] + gh[k]);
            float fg = ScalarMath.Sigmoid(gx[H + k] + gh[H + k]);
            float gg = MathF.Tanh(gx[2 * H + k] + gh[2 * H + k]);
            float og = ScalarMath.Sigmoid(gx[3 * H + k] + gh[3 * H + k]);
            float c = s[H + k];
            float cNext = fg * c + ig * gg;
            float tc = MathF.Tanh(cNext);
            next[k] = og * tc;
            next[H + k] = cNext;
            if (jd.IsEmpty && j.IsEmpty)
                continue;
            // ∂c'/∂h = a_i W_i + a_f W_f + a_g W_g;  ∂h'/∂h = a_o W_o + o(1 − tanh² c') ∂c'/∂h;  ∂c'/∂c = f;  ∂h'/∂c = o(1 − tanh² c') f.
            float ai = gg * ig * (1f - ig);
            float af = c * fg * (1f - fg);
            float ag = ig * (1f - gg * gg);
            float ao = tc * og * (1f - og);
            float dh = og * (1f - tc * tc);
            var wi = weightHh.AsSpan(k * H, H);
            var wf = weightHh.AsSpan((H + k) * H, H);
            var wg = weightHh.AsSpan((2 * H + k) * H, H);
            var wo = weightHh.AsSpan((3 * H + k) * H, H);
            if (!jd.IsEmpty)
            {
                float dcdh = ai * wi[k] + af * wf[k] + ag * wg[k];
                jd[k] = ao * wo[k] + dh * dcdh;
                jd[H + k] = fg;
            }
            if (!j.IsEmpty)
            {
                var hRow = j.Slice(k * D, D);
                var cRow = j.Slice((H + k) * D, D);
                for (int m = 0; m < H; m++)
                {
                    float dcdh = ai * wi[m] + af * wf[m] + ag * wg[m];
                    cRow[m] = dcdh;
                    hRow[m] = ao * wo[m] + dh * dcdh;
                }
                hRow.Slice(H, H).Clear();
                cRow.Slice(H, H).Clear();
                hRow[H + k] = dh * fg;
                cRow[H + k] = fg;
            }
        }
    }
}
