using System.Numerics.Tensors;
using Baton.Numerics;

namespace Baton.Layers;

/// <summary>
/// One LSTM layer-direction, PyTorch's equations and gate order (i, f, g, o):
/// i = σ(W_ii x + b_ii + W_hi h + b_hi), f = σ(...), g = tanh(...), o = σ(...),
/// c' = f * c + i * g, m = o * tanh(c'), h' = m, or h' = W_hr m when proj_size P &gt; 0.
/// Tensors: weight_ih [4H, I], weight_hh [4H, S], bias_ih [4H], bias_hh [4H], weight_hr [P, H]; S = P or H.
/// The time loop is <see cref="StepScheduler"/>'s; this file is the cell: Forward (the input projection of all steps),
/// <see cref="ForwardBlock"/> (one step), <see cref="BackwardBlock"/> (one step back), Backward (the weight gradients of
/// all steps) and <see cref="StepInput"/> (the input half of a streaming step).
/// </summary>
internal sealed unsafe class Lstm : RecurrentCell
{
    private readonly int H; // hidden (cell) width
    private readonly int P; // projection width, 0 = none
    private readonly ParameterTensor weightIh, weightHh, biasIh, biasHh;
    private readonly ParameterTensor? weightHr;
    private readonly ParameterTensor[] tensors;

    public Lstm(Parameters parameters, string prefix, string suffix, int inputSize, int hiddenSize, int projSize, bool reverse)
        : base(parameters, inputSize, projSize > 0 ? projSize : hiddenSize, hiddenSize, 4 * hiddenSize, reverse)
    {
        H = hiddenSize;
        P = projSize;
        int S = StateSize;
        weightIh = parameters.Add($"{prefix}weight_ih{suffix}", 4 * H, inputSize);
        weightHh = parameters.Add($"{prefix}weight_hh{suffix}", 4 * H, S);
        biasIh = parameters.Add($"{prefix}bias_ih{suffix}", 4 * H);
        biasHh = parameters.Add($"{prefix}bias_hh{suffix}", 4 * H);
        if (P > 0)
        {
            weightHr = parameters.Add($"{prefix}weight_hr{suffix}", P, H);
            tensors = [weightIh, weightHh, biasIh, biasHh, weightHr];
        }
        else
        {
            tensors = [weightIh, weightHh, biasIh, biasHh];
        }
    }

    public override IReadOnlyList<ParameterTensor> Tensors => tensors;

    private sealed class Cache(int h, int s, int p) : CellCache
    {
        // BPTT keeps 5H floats per row here, besides the output h the stack keeps: h_{t−1} and c_{t−1} are the previous
        // step's rows (or h0 / c0, see PreviousStep) and tanh c is recomputed by Backward.
        public float[] Gates = [];   // [N, 4H] activated gates i, f, g, o; Backward overwrites each row with its gradient
        public float[] C = [];       // [N, H] c after each step
        public float[] M = [];       // [N, H] o * tanh(c), only with projection
        public float[] DH = [];      // [N, P] total gradient of h per step, only with projection (backward)
        public float[] HState = [];  // [B, S] running h (dh in backward)
        public float[] HNext = [];   // [B, S] the other running-h buffer of a unit-split forward
        public float[] CState = [];  // [B, H] running c (dc in backward)
        public float[] DM = [];      // [B, H] gradient of m at one step, only with projection
        public float[] StartRows = [];  // [B, 4H] gate gradients of each sequence's first step (backward)
        public readonly float[] Bias = new float[4 * h];  // [4H] bias_ih + bias_hh
        // W_hhᵀ [S, 4H] for the forward recurrent product, W_hh [4H, S] for the backward one, in one storage (each pass packs its own).
        private readonly (PackedMatrix Forward, PackedMatrix Backward) recurrent = PackedMatrix.SharingStorage(s, 4 * h);
        public PackedMatrix HhT => recurrent.Forward;
        public PackedMatrix Hh => recurrent.Backward;
        public readonly PackedMatrix? HrT = p > 0 ? new(h, p) : null;  // W_hrᵀ [H, P]
        public readonly PackedMatrix? Hr = p > 0 ? new(p, h) : null;   // W_hr [P, H]

        protected override void Allocate(int rows, int batch)
        {
            Gates = new float[rows * 4 * h];
            C = new float[rows * h];
            if (p > 0)
            {
                M = new float[rows * h];
                DH = new float[rows * s];
                DM = new float[batch * h];
            }
            HState = new float[batch * s];
            HNext = new float[batch * s];
            CState = new float[batch * h];
            StartRows = new float[batch * 4 * h];
        }
    }

    public override LayerCache CreateCache() => new Cache(H, StateSize, P);

    public override bool StepNeedsEveryUnit => P > 0;

    public override void Forward(LayerCache cache, PackedBatch batch, ReadOnlySpan<float> x,
        ReadOnlySpan<float> h0, ReadOnlySpan<float> c0, Span<float> y, Span<float> hn, Span<float> cn)
    {
        var k = (Cache)cache;
        int N = batch.N, B = batch.B, I = InputSize, S = StateSize, G4 = 4 * H;
        k.Ensure(N, B);
        ReadOnlySpan<float> wIh = Parameters.Value(weightIh);     // [4H, I]
        k.HhT.Pack(Parameters.Value(weightHh), S, transB: true);
        if (P > 0)
            k.HrT!.Pack(Parameters.Value(weightHr!), H, transB: true);
        TensorPrimitives.Add(Parameters.Value(biasIh), Parameters.Value(biasHh), k.Bias);

        // Input projections of all steps in one GEMM: Gates[N, 4H] = x · W_ihᵀ + (b_ih + b_hh).
        Gemm.Sgemm(false, true, N, G4, I, 1f, x, I, wIh, I, 0f, k.Gates, G4);
        RowMath.AddBias(k.Gates, N, k.Bias);

        h0[..(B * S)].CopyTo(k.HState);
        c0[..(B * H)].CopyTo(k.CState);
        Scheduler(k).Forward(batch, y, k.HState, k.HNext, k.CState.AsSpan(0, B * H), hn, k.HhT.PanelWidth, (long)G4 * S);
        k.CState.AsSpan(0, B * H).CopyTo(cn);
    }

    /// <summary>
    /// Gates [rows, 4H] += h_{t−1} · W_hhᵀ for the four gate slices of the block's units, then the cell
    /// (<see cref="LstmCellKernels.Forward"/>): the gates activated in place, c ← f·c + i·g in the running c and kept per
    /// row in C, m = o·tanh c into y and the running h (or into M, for <see cref="ForwardEpilogue"/>'s projection).
    /// </summary>
    public override void ForwardBlock(CellCache cache, in StepBlock step)
    {
        var k = (Cache)cache;
        int S = StateSize, G4 = 4 * H, rows = step.R1 - step.R0;
        Product(step, rows, Rows(step.HIn, step.R0, rows, S), S, k.HhT, 1f, k.Gates.AsSpan((step.O + step.R0) * G4), G4,
            step.U0, step.N, groups: 4);
        fixed (float* pg = k.Gates, pKept = k.C, pm = k.M)
        {
            for (int b = step.R0; b < step.R1; b++)
            {
                long row = step.O + b;
                float* m = P > 0 ? pm + row * H + step.U0 : step.Out + row * S + step.U0;
                float* hOut = P > 0 ? null : step.HOut + (long)b * S + step.U0;
                LstmCellKernels.Forward(SimdPaths.Best, pg + row * G4 + step.U0, H, step.C + (long)b * H + step.U0,
                    pKept + row * H + step.U0, m, hOut, step.N);
            }
        }
    }

    /// <summary>h = m · W_hrᵀ for columns [c0, c1) of the block's rows, into y and the running h.</summary>
    public override void ForwardEpilogue(CellCache cache, in StepBlock step, int c0, int c1)
    {
        var k = (Cache)cache;
        int S = StateSize, rows = step.R1 - step.R0;
        if (c1 <= c0 || rows <= 0)
            return;
        var y = Rows(step.Out, step.O + step.R0, rows, S);
        Product(step, rows, k.M.AsSpan((step.O + step.R0) * H), H, k.HrT!, 0f, y, S, c0, c1 - c0);
        for (int b = 0; b < rows; b++)
            y.Slice(b * S + c0, c1 - c0).CopyTo(Rows(step.HOut, step.R0 + b, 1, S)[c0..c1]);
    }

    /// <summary>
    /// dh = the previous step's dGates · W_hh for the block's units (dh is overwritten: c carries the direct path), its
    /// truncation cut (dh and dc), then dh += dy and the cell backward in place (<see cref="LstmCellKernels.Backward"/>):
    /// Gates ← their pre-activation gradients (nothing reads a step's gates after its backward, so BPTT keeps one [N, 4H]
    /// buffer instead of two), dc ← the gradient of c_{t−1}; tanh c is recomputed, as Forward computed it. With projection
    /// (every unit, see <see cref="StepNeedsEveryUnit"/>), dh is P wide and the cell reads dm = dh · W_hr.
    /// </summary>
    public override void BackwardBlock(CellCache cache, in StepBlock step)
    {
        var k = (Cache)cache;
        int S = StateSize, G4 = 4 * H;
        Span<float> dh = k.HState, dc = k.CState;
        int prevRows = step.PrevR1 - step.R0;
        if (prevRows > 0)
        {
            var dGates = k.Gates.AsSpan((step.PrevO + step.R0) * G4);
            if (P == 0)
                Product(step, prevRows, dGates, G4, k.Hh, 0f, dh[(step.R0 * S)..], S, step.U0, step.N);
            else
                Product(step, prevRows, dGates, G4, k.Hh, 0f, dh[(step.R0 * S)..], S, 0, S);
            for (int r = step.R0; r < step.PrevCut; r++)
            {
                (P == 0 ? dh.Slice(r * S + step.U0, step.N) : dh.Slice(r * S, S)).Clear();
                dc.Slice(r * H + step.U0, step.N).Clear();
            }
        }
        int rows = step.R1 - step.R0;
        if (rows <= 0)
            return;
        var c0 = new ReadOnlySpan<float>(k.C0, step.R1 * H);
        if (P > 0)
        {
            Span<float> dhRows = dh.Slice(step.R0 * S, rows * S);
            TensorPrimitives.Add(dhRows, Rows(step.Out, step.O + step.R0, rows, S), dhRows);
            dhRows.CopyTo(k.DH.AsSpan((step.O + step.R0) * S));
            Product(step, rows, dhRows, S, k.Hr!, 0f, k.DM.AsSpan(step.R0 * H), H, 0, H);
        }
        for (int b = step.R0; b < step.R1; b++)
        {
            int row = step.O + b;
            Span<float> dm = P > 0 ? k.DM.AsSpan(b * H, H) : dh.Slice(b * H + step.U0, step.N);
            if (P == 0)
                TensorPrimitives.Add(dm, Rows(step.Out, row, 1, S).Slice(step.U0, step.N), dm);
            fixed (float* pg = k.Gates, pc = k.C, pPrev = PreviousState(k.C, c0, step.Before, b, H, step.U0, step.N), pdm = dm,
                pdc = dc)
                LstmCellKernels.Backward(SimdPaths.Best, pg + (long)row * G4 + step.U0, H, pc + (long)row * H + step.U0, pPrev, pdm,
                    pdc + (long)b * H + step.U0, step.N);
        }
    }

    public override void Backward(LayerCache cache, PackedBatch batch, ReadOnlySpan<float> x, ReadOnlySpan<float> h0,
        ReadOnlySpan<float> c0, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, ReadOnlySpan<float> dhn, ReadOnlySpan<float> dcn,
        Span<float> dx, Span<float> dh0, Span<float> dc0, int truncateBefore)
    {
        var k = (Cache)cache;
        int B = batch.B, S = StateSize, G4 = 4 * H;
        k.Hh.Pack(Parameters.Value(weightHh), S, transB: false);
        if (P > 0)
            k.Hr!.Pack(Parameters.Value(weightHr!), H, transB: false);
        Span<float> dh = k.HState.AsSpan(0, B * S);               // [B, S] gradient of the running h
        Span<float> dc = k.CState.AsSpan(0, B * H);               // [B, H] gradient of the running c
        dhn[..(B * S)].CopyTo(dh);
        dcn[..(B * H)].CopyTo(dc);
        fixed (float* pc0 = c0)
        {
            k.C0 = pc0;
            Scheduler(k).Backward(batch, dy, truncateBefore, k.Hh.PanelWidth, (long)G4 * S);
            k.C0 = null;
        }
        dh.CopyTo(dh0);
        dc.CopyTo(dc0);

        // Weight gradients of all steps, one GEMM each.
        AccumulateWeightGradients(weightIh, weightHh, biasIh, biasHh, batch, k.Gates, k.Gates, x, y, h0, k.StartRows, dx);
        if (P > 0)
            Gemm.Sgemm(true, false, P, H, batch.N, 1f, k.DH, S, k.M, H, 1f, Parameters.Gradient(weightHr!), H);
    }

    /// <summary>Gates [B, 4H] = x · W_ihᵀ + (b_ih + b_hh) on the stream's packed weights (packed again, with W_hrᵀ and the
    /// bias, when the parameters moved).</summary>
    public override void StepInput(CellCache cache, ReadOnlySpan<float> x, int batch, Span<float> y)
    {
        var k = (Cache)cache;
        if (RepackForStep(k, weightIh, weightHh, k.HhT))
        {
            k.HrT?.Pack(Parameters.Value(weightHr!), H, transB: true);
            TensorPrimitives.Add(Parameters.Value(biasIh), Parameters.Value(biasHh), k.Bias);
        }
        StepInputProduct(k, x, batch, k.Bias, k.Gates.AsSpan(0, batch * 4 * H));
    }
}
