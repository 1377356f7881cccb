using System.Numerics.Tensors;
using Baton.Numerics;

namespace Baton.Layers;

/// <summary>
/// One LSTM layer-direction, PyTorch's equations and gate order (i, f, g, o):
/// i = σ(W_ii x + b_ii + W_hi h + b_hi), f = σ(...), g = tanh(...), o = σ(...),
/// c' = f * c + i * g, m = o * tanh(c'), h' = m, or h' = W_hr m when proj_size P &gt; 0.
/// Tensors: weight_ih [4H, I], weight_hh [4H, S], bias_ih [4H], bias_hh [4H], weight_hr [P, H]; S = P or H.
/// </summary>
internal sealed unsafe class Lstm : RecurrentLayer
{
    private readonly int H; // hidden (cell) width
    private readonly int P; // projection width, 0 = none
    private readonly ParameterTensor weightIh, weightHh, biasIh, biasHh;
    private readonly ParameterTensor? weightHr;
    private readonly ParameterTensor[] tensors;

    public Lstm(Parameters parameters, string prefix, string suffix, int inputSize, int hiddenSize, int projSize, bool reverse)
        : base(parameters, inputSize, projSize > 0 ? projSize : hiddenSize, hiddenSize, reverse)
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

    private sealed class Cache(int h, int s, int p) : LayerCache
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

    /// <summary>
    /// Units [j0, j0 + n) of one row of the cell (<see cref="LstmCellKernels.Forward"/>): the four gate slices of g [4H]
    /// activated in place; c (the running state, updated) and m are the n-wide slices of those units; the new c is also
    /// copied to <paramref name="cKept"/> and m to <paramref name="hOut"/> unless they are empty.
    /// </summary>
    private void CellForward(Span<float> g, int j0, int n, Span<float> c, Span<float> cKept, Span<float> m, Span<float> hOut = default)
    {
        fixed (float* pg = g, pc = c, pKept = cKept, pm = m, pOut = hOut)
            LstmCellKernels.Forward(SimdPaths.Best, pg + j0, H, pc, pKept, pm, pOut, n);
    }

    /// <summary>
    /// Units [j0, j0 + n) of one row of the cell's backward, in place (<see cref="LstmCellKernels.Backward"/>): g [4H]
    /// holds the activated gates and receives their pre-activation gradients (nothing reads the gates of a step after its
    /// backward, so BPTT keeps one [N, 4H] buffer instead of two). dm, dc (updated to the gradient of c before the step),
    /// c (after the step) and cPrev are n-wide slices; tanh c is recomputed, as Forward computed it.
    /// </summary>
    private void CellBackward(Span<float> g, ReadOnlySpan<float> c, ReadOnlySpan<float> cPrev, ReadOnlySpan<float> dm,
        Span<float> dc, int j0, int n)
    {
        fixed (float* pg = g, pc = c, pPrev = cPrev, pdm = dm, pdc = dc)
            LstmCellKernels.Backward(SimdPaths.Best, pg + j0, H, pc, pPrev, pdm, pdc, n);
    }

    protected override void ForwardRows(LayerCache cache, PackedBatch batch, float* y, int b0, int b1)
    {
        var k = (Cache)cache;
        int T = batch.T, S = StateSize, G4 = 4 * H;
        for (int s = 0; s < T; s++)
        {
            int t = Reverse ? T - 1 - s : s;
            int r1 = Math.Min(b1, batch.BatchSizes[t]);
            if (r1 <= b0)
                continue;
            int o = batch.Offsets[t], rows = r1 - b0;
            Gemm.Sgemm(rows, 1f, k.HState.AsSpan(b0 * S), S, k.HhT, 1f, k.Gates.AsSpan((o + b0) * G4), G4, 0, G4);
            for (int b = b0; b < r1; b++)
            {
                int row = o + b;
                Span<float> m = P > 0 ? k.M.AsSpan(row * H, H) : new Span<float>(y + (long)row * S, S);
                CellForward(k.Gates.AsSpan(row * G4, G4), 0, H, k.CState.AsSpan(b * H, H), k.C.AsSpan(row * H, H), m);
            }
            var yRows = new Span<float>(y + (long)(o + b0) * S, rows * S);
            if (P > 0)
                Gemm.Sgemm(rows, 1f, k.M.AsSpan((o + b0) * H), H, k.HrT!, 0f, yRows, S, 0, S);
            yRows.CopyTo(k.HState.AsSpan(b0 * S));
        }
    }

    protected override void BackwardStepRows(LayerCache cache, PackedBatch batch, int t, int b0, int r1, float* dy)
    {
        var k = (Cache)cache;
        int o = batch.Offsets[t], G4 = 4 * H;                       // no projection here: S = H
        Span<float> dh = k.HState, dc = k.CState;
        var before = PreviousStep(batch, t);
        var c0 = new ReadOnlySpan<float>(k.C0, batch.BatchSizes[t] * H);
        for (int b = b0; b < r1; b++)
        {
            int row = o + b;
            Span<float> dhRow = dh.Slice(b * H, H);
            TensorPrimitives.Add(dhRow, new ReadOnlySpan<float>(dy + (long)row * H, H), dhRow);
            CellBackward(k.Gates.AsSpan(row * G4, G4), k.C.AsSpan(row * H, H), PreviousState(k.C, c0, before, b, H, 0, H), dhRow,
                dc.Slice(b * H, H), 0, H);
        }
    }

    /// <summary>dh rows [b0, r1) = those rows of the step at <paramref name="o"/>'s dGates · W_hh, then rows below cut detached.</summary>
    protected override void DeferredRows(LayerCache cache, int o, int b0, int r1, int cut)
    {
        var k = (Cache)cache;
        int G4 = 4 * H;
        Gemm.Sgemm(r1 - b0, 1f, k.Gates.AsSpan((o + b0) * G4), G4, k.Hh, 0f, k.HState.AsSpan(b0 * H), H, 0, H);
        if (cut > b0)
        {
            k.HState.AsSpan(b0 * H, (cut - b0) * H).Clear();
            k.CState.AsSpan(b0 * H, (cut - b0) * H).Clear();
        }
    }

    /// <summary>
    /// One time step split by hidden units over threads, so the recurrent product's output never leaves the core
    /// that applies the gates to it. Forward: the four gate slices of HPrev · W_hhᵀ, then the cell. Backward: the
    /// previous step's dGates · W_hh for these units of dh (deferred there, since every unit of it needs all of
    /// dGates), the truncation cut, then dy and the cell backward.
    /// </summary>
    protected override void ForwardUnits(LayerCache cache, in UnitStep step, int j0, int n)
    {
        var k = (Cache)cache;
        int S = StateSize, G4 = 4 * H;
        var h = new ReadOnlySpan<float>(step.HIn, step.Bs * S);
        Gemm.Sgemm(step.Bs, 1f, h, S, k.HhT, 1f, k.Gates.AsSpan(step.O * G4), G4, j0, n, groups: 4, groupStride: H);
        for (int b = 0; b < step.Bs; b++)
        {
            int row = step.O + b;
            Span<float> m = P > 0 ? k.M.AsSpan(row * H + j0, n) : new Span<float>(step.Out + (long)row * S + j0, n);
            CellForward(k.Gates.AsSpan(row * G4, G4), j0, n, k.CState.AsSpan(b * H + j0, n), k.C.AsSpan(row * H + j0, n),
                m, P == 0 ? new Span<float>(step.HOut + (long)b * S + j0, n) : default);
        }
    }

    protected override bool HasForwardStepEpilogue => P > 0;

    /// <summary>h = m · W_hrᵀ for this part's share of the P columns, into y and the next running h.</summary>
    protected override void ForwardStepEpilogue(LayerCache cache, in UnitStep step, int index, int count)
    {
        var k = (Cache)cache;
        int S = StateSize;
        int c0 = (int)((long)S * index / count), c1 = (int)((long)S * (index + 1) / count);
        if (c1 <= c0)
            return;
        var y = new Span<float>(step.Out + (long)step.O * S, step.Bs * S);
        Gemm.Sgemm(step.Bs, 1f, k.M.AsSpan(step.O * H), H, k.HrT!, 0f, y, S, c0, c1 - c0);
        for (int b = 0; b < step.Bs; b++)
            y.Slice(b * S + c0, c1 - c0).CopyTo(new Span<float>(step.HOut + (long)b * S + c0, c1 - c0));
    }

    protected override void BackwardUnits(LayerCache cache, in UnitStep step, int j0, int n)
    {
        var k = (Cache)cache;
        int G4 = 4 * H;                                              // no projection here: S = H
        Span<float> dh = k.HState, dc = k.CState;
        if (step.PrevBs > 0)
        {
            Gemm.Sgemm(step.PrevBs, 1f, k.Gates.AsSpan(step.PrevO * G4), G4, k.Hh, 0f, dh, H, j0, n);
            for (int r = 0; r < step.PrevCut; r++)
            {
                dh.Slice(r * H + j0, n).Clear();
                dc.Slice(r * H + j0, n).Clear();
            }
        }
        var c0 = new ReadOnlySpan<float>(k.C0, step.Bs * H);
        for (int b = 0; b < step.Bs; b++)
        {
            int row = step.O + b;
            Span<float> dhRow = dh.Slice(b * H + j0, n);
            TensorPrimitives.Add(dhRow, new ReadOnlySpan<float>(step.Out + (long)row * H + j0, n), dhRow);
            CellBackward(k.Gates.AsSpan(row * G4, G4), k.C.AsSpan(row * H + j0, n), PreviousState(k.C, c0, step.Before, b, H, j0, n),
                dhRow, dc.Slice(b * H + j0, n), j0, n);
        }
    }

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
        // Gates[o.., :] += h · W_hhᵀ and the cell, step by step; m goes to y or M.
        ForwardRecurrence(k, batch, y, k.HState, k.HNext, hn, k.HhT.PanelWidth, (long)G4 * S);
        k.CState.AsSpan(0, B * H).CopyTo(cn);
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
            if (P == 0)
                BackwardRecurrence(k, batch, dy, truncateBefore, k.Hh.PanelWidth, (long)G4 * H);
            else
                BackwardStepsProjected(k, batch, c0, dy, truncateBefore);
            k.C0 = null;
        }
        dh.CopyTo(dh0);
        dc.CopyTo(dc0);

        // Weight gradients of all steps, one GEMM each.
        AccumulateWeightGradients(weightIh, weightHh, biasIh, biasHh, batch, k.Gates, k.Gates, x, y, h0, k.StartRows, dx);
        if (P > 0)
            Gemm.Sgemm(true, false, P, H, batch.N, 1f, k.DH, S, k.M, H, 1f, Parameters.Gradient(weightHr!), H);
    }

    /// <summary>The backward loop with projection: dm = dh · W_hr needs every unit of dh, so each step runs whole.</summary>
    private void BackwardStepsProjected(Cache k, PackedBatch batch, ReadOnlySpan<float> c0, ReadOnlySpan<float> dy, int truncateBefore)
    {
        int B = batch.B, T = batch.T, S = StateSize, G4 = 4 * H;
        Span<float> dh = k.HState.AsSpan(0, B * S);
        Span<float> dc = k.CState.AsSpan(0, B * H);
        for (int s = T - 1; s >= 0; s--)
        {
            int t = Reverse ? T - 1 - s : s;
            int bs = batch.BatchSizes[t];
            if (bs == 0)
                continue;
            int o = batch.Offsets[t];
            TensorPrimitives.Add(dh[..(bs * S)], dy.Slice(o * S, bs * S), dh[..(bs * S)]);
            dh[..(bs * S)].CopyTo(k.DH.AsSpan(o * S));
            // dm = dh · W_hr  ([bs, P] · [P, H]).
            Gemm.Sgemm(bs, 1f, dh, S, k.Hr!, 0f, k.DM, H);
            var before = PreviousStep(batch, t);
            for (int b = 0; b < bs; b++)
            {
                int row = o + b;
                CellBackward(k.Gates.AsSpan(row * G4, G4), k.C.AsSpan(row * H, H), PreviousState(k.C, c0, before, b, H, 0, H),
                    k.DM.AsSpan(b * H, H), dc.Slice(b * H, H), 0, H);
            }
            // dh_prev = dGates · W_hh  ([bs, 4H] · [4H, S]).
            Gemm.Sgemm(bs, 1f, k.Gates.AsSpan(o * G4), G4, k.Hh, 0f, dh, S);
            if (IsCut(t, truncateBefore))
            {
                int rows = CutRows(batch, t, Reverse);
                dh[..(rows * S)].Clear();
                dc[..(rows * H)].Clear();
            }
        }
    }

    public override int StepScratchSize(int batch) => batch * 4 * H + batch * H;

    public override StepWeights CreateStepWeights() => new(InputSize, StateSize, 4 * H, H, P);

    /// <summary>One step as Forward computes it: gates = x·W_ihᵀ + (b_ih + b_hh), then += h·W_hhᵀ, the cell, the projection.</summary>
    public override void Step(StepWeights? weights, ReadOnlySpan<float> x, int batch, Span<float> h, Span<float> c, Span<float> y,
        Span<float> scratch)
    {
        if (RepackStepWeights(weights, weightIh, weightHh))
        {
            weights!.Hr?.Pack(Parameters.Value(weightHr!), H, transB: true);
            TensorPrimitives.Add(Parameters.Value(biasIh), Parameters.Value(biasHh), weights.Bias);
        }
        var w = weights!;
        int B = batch, S = StateSize, G4 = 4 * H;
        Span<float> gates = scratch[..(B * G4)];                         // [B, 4H]
        Span<float> mAll = scratch.Slice(B * G4, B * H);                 // [B, H]
        StepInputProduct(w, x, B, gates);
        Gemm.Sgemm(B, 1f, h, S, w.Hh, 1f, gates, G4);
        for (int b = 0; b < B; b++)
            CellForward(gates.Slice(b * G4, G4), 0, H, c.Slice(b * H, H), default, mAll.Slice(b * H, H));
        if (P > 0)
            Gemm.Sgemm(B, 1f, mAll, H, w.Hr!, 0f, y, S);
        else
            mAll.CopyTo(y);
        y[..(B * S)].CopyTo(h);
    }
}
