using System.Numerics.Tensors;
using Baton.Numerics;

namespace Baton.Layers;

/// <summary>
/// One GRU layer-direction, PyTorch's equations and gate order (r, z, n):
/// r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
/// n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h.
/// Tensors: weight_ih [3H, I], weight_hh [3H, H], bias_ih [3H], bias_hh [3H].
/// </summary>
internal sealed unsafe class Gru : RecurrentLayer
{
    private readonly int H;
    private readonly ParameterTensor weightIh, weightHh, biasIh, biasHh;
    private readonly ParameterTensor[] tensors;

    public Gru(Parameters parameters, string prefix, string suffix, int inputSize, int hiddenSize, bool reverse)
        : base(parameters, inputSize, hiddenSize, 0, reverse)
    {
        H = hiddenSize;
        weightIh = parameters.Add($"{prefix}weight_ih{suffix}", 3 * H, inputSize);
        weightHh = parameters.Add($"{prefix}weight_hh{suffix}", 3 * H, H);
        biasIh = parameters.Add($"{prefix}bias_ih{suffix}", 3 * H);
        biasHh = parameters.Add($"{prefix}bias_hh{suffix}", 3 * H);
        tensors = [weightIh, weightHh, biasIh, biasHh];
    }

    public override IReadOnlyList<ParameterTensor> Tensors => tensors;

    private sealed class Cache(int h) : LayerCache
    {
        // Backward overwrites Gates with the hidden-side pre-activation gradients [dr, dz, dn·r] and HnPre with the
        // input-side dn, so BPTT keeps 4H floats per row here besides the output h the stack keeps, which also gives
        // h_{t−1} (see PreviousStep; the r and z gradients are the same on both sides).
        public float[] Gates = [];   // [N, 3H] activated r, z, n
        public float[] HnPre = [];   // [N, H] W_hn h + b_hn
        public float[] GH = [];      // [B, 3H] hidden-side pre-activations of one step; Backward: first-step gradients
        public float[] HState = [];  // [B, H] running h (dh in backward)
        public float[] HNext = [];   // [B, H] the other running-h buffer of a unit-split forward
        public readonly float[] Bias = new float[3 * h];  // [3H] b_ih + b_hh for r, z; b_ih for n
        // W_hhᵀ [H, 3H] for the forward recurrent product, W_hh [3H, H] for the backward one, in one storage (each pass packs its own).
        private readonly (PackedMatrix Forward, PackedMatrix Backward) recurrent = PackedMatrix.SharingStorage(h, 3 * h);
        public PackedMatrix HhT => recurrent.Forward;
        public PackedMatrix Hh => recurrent.Backward;

        protected override void Allocate(int rows, int batch)
        {
            Gates = new float[rows * 3 * h];
            HnPre = new float[rows * h];
            GH = new float[batch * 3 * h];
            HState = new float[batch * h];
            HNext = new float[batch * h];
        }
    }

    public override LayerCache CreateCache() => new Cache(H);

    public override void Forward(LayerCache cache, PackedBatch batch, ReadOnlySpan<float> x,
        ReadOnlySpan<float> h0, ReadOnlySpan<float> c0, Span<float> y, Span<float> hn, Span<float> cn)
    {
        var k = (Cache)cache;
        int N = batch.N, B = batch.B, I = InputSize, G3 = 3 * H;
        k.Ensure(N, B);
        ReadOnlySpan<float> wIh = Parameters.Value(weightIh);     // [3H, I]
        k.HhT.Pack(Parameters.Value(weightHh), H, transB: true);
        ReadOnlySpan<float> bHh = Parameters.Value(biasHh);       // [3H]
        Parameters.Value(biasIh).CopyTo(k.Bias);
        TensorPrimitives.Add(k.Bias.AsSpan(0, 2 * H), bHh[..(2 * H)], k.Bias.AsSpan(0, 2 * H));

        // Input projections of all steps in one GEMM: Gates[N, 3H] = x · W_ihᵀ + bias.
        Gemm.Sgemm(false, true, N, G3, I, 1f, x, I, wIh, I, 0f, k.Gates, G3);
        RowMath.AddBias(k.Gates, N, k.Bias);

        // GH[bs, 3H] = h · W_hhᵀ and the cell into y, step by step.
        h0[..(B * H)].CopyTo(k.HState);
        ForwardRecurrence(k, batch, y, k.HState, k.HNext, hn, k.HhT.PanelWidth, (long)G3 * H);
    }

    protected override void ForwardRows(LayerCache cache, PackedBatch batch, float* y, int b0, int b1)
    {
        var k = (Cache)cache;
        int T = batch.T, G3 = 3 * H;
        ReadOnlySpan<float> bHn = Parameters.Value(biasHh).Slice(2 * H, H);
        for (int s = 0; s < T; s++)
        {
            int t = Reverse ? T - 1 - s : s;
            int r1 = Math.Min(b1, batch.BatchSizes[t]);
            if (r1 <= b0)
                continue;
            int o = batch.Offsets[t], rows = r1 - b0;
            Gemm.Sgemm(rows, 1f, k.HState.AsSpan(b0 * H), H, k.HhT, 0f, k.GH.AsSpan(b0 * G3), G3, 0, G3);
            for (int b = b0; b < r1; b++)
            {
                int row = o + b;
                Span<float> h = k.HState.AsSpan(b * H, H);
                CellForward(k.Gates.AsSpan(row * G3, G3), k.GH.AsSpan(b * G3, G3), 0, H, bHn, k.HnPre.AsSpan(row * H, H), h, h);
            }
            k.HState.AsSpan(b0 * H, rows * H).CopyTo(new Span<float>(y + (long)(o + b0) * H, rows * H));
        }
    }

    protected override void BackwardStepRows(LayerCache cache, PackedBatch batch, int t, int b0, int r1, float* dy)
    {
        var k = (Cache)cache;
        int o = batch.Offsets[t];
        var before = PreviousStep(batch, t);
        for (int b = b0; b < r1; b++)
            CellBackward(k, o + b, b, before, new ReadOnlySpan<float>(dy + (long)(o + b) * H, H), 0, H);
    }

    /// <summary>dh rows [b0, r1) += those rows of the step at <paramref name="o"/>'s dGatesH · W_hh, then rows below cut detached.</summary>
    protected override void DeferredRows(LayerCache cache, int o, int b0, int r1, int cut)
    {
        var k = (Cache)cache;
        int G3 = 3 * H;
        Gemm.Sgemm(r1 - b0, 1f, k.Gates.AsSpan((o + b0) * G3), G3, k.Hh, 1f, k.HState.AsSpan(b0 * H), H, 0, H);
        if (cut > b0)
            k.HState.AsSpan(b0 * H, (cut - b0) * H).Clear();
    }

    /// <summary>
    /// One time step split by hidden units over threads (see Lstm.ForwardUnits). Forward: the three gate slices of
    /// h · W_hhᵀ, then the cell, whose new h goes to y. Backward: dh += the previous step's dGatesH · W_hh for these units (deferred
    /// there), its truncation cut, then dy and the cell backward.
    /// </summary>
    protected override void ForwardUnits(LayerCache cache, in UnitStep step, int j0, int n)
    {
        var k = (Cache)cache;
        int G3 = 3 * H;
        var h = new ReadOnlySpan<float>(step.HIn, step.Bs * H);
        Gemm.Sgemm(step.Bs, 1f, h, H, k.HhT, 0f, k.GH, G3, j0, n, groups: 3, groupStride: H);
        ReadOnlySpan<float> bHn = Parameters.Value(biasHh).Slice(2 * H + j0, n);
        for (int b = 0; b < step.Bs; b++)
        {
            int row = step.O + b;
            var hNew = new Span<float>(step.Out + (long)row * H + j0, n);
            CellForward(k.Gates.AsSpan(row * G3, G3), k.GH.AsSpan(b * G3, G3), j0, n, bHn, k.HnPre.AsSpan(row * H + j0, n),
                h.Slice(b * H + j0, n), hNew, new Span<float>(step.HOut + (long)b * H + j0, n));
        }
    }

    protected override void BackwardUnits(LayerCache cache, in UnitStep step, int j0, int n)
    {
        var k = (Cache)cache;
        int G3 = 3 * H;
        Span<float> dh = k.HState;
        if (step.PrevBs > 0)
        {
            // dh_prev = dh * z (left there by the previous step) + dGatesH · W_hh.
            Gemm.Sgemm(step.PrevBs, 1f, k.Gates.AsSpan(step.PrevO * G3), G3, k.Hh, 1f, dh, H, j0, n);
            for (int r = 0; r < step.PrevCut; r++)
                dh.Slice(r * H + j0, n).Clear();
        }
        for (int b = 0; b < step.Bs; b++)
            CellBackward(k, step.O + b, b, step.Before, new ReadOnlySpan<float>(step.Out + (long)(step.O + b) * H + j0, n), j0, n);
    }

    /// <summary>
    /// Units [j0, j0 + n) of packed row <paramref name="row"/> (running row b) of the cell's backward, in place
    /// (<see cref="GruCellKernels.Backward"/>): dh += dy, Gates ← [dr, dz, dn·r], HnPre ← dn (input side), dh ← dh·z (the
    /// direct path). <paramref name="before"/>: where the step's rows find h_{t−1} (<see cref="RecurrentLayer.PreviousStep"/>;
    /// y and h0 from the cache's pointers).
    /// </summary>
    private void CellBackward(Cache k, int row, int b, (int Offset, int Rows) before, ReadOnlySpan<float> dy, int j0, int n)
    {
        float* hPrev = b < before.Rows ? k.Y + (long)(before.Offset + b) * H + j0 : k.H0 + (long)b * H + j0;
        fixed (float* pg = k.Gates, pPre = k.HnPre, pdh = k.HState, pdy = dy)
            GruCellKernels.Backward(SimdPaths.Best, pg + (long)row * 3 * H + j0, H, pPre + (long)row * H + j0, hPrev,
                pdh + (long)b * H + j0, pdy, n);
    }

    public override void Backward(LayerCache cache, PackedBatch batch, ReadOnlySpan<float> x, ReadOnlySpan<float> h0,
        ReadOnlySpan<float> c0, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, ReadOnlySpan<float> dhn, ReadOnlySpan<float> dcn,
        Span<float> dx, Span<float> dh0, Span<float> dc0, int truncateBefore)
    {
        var k = (Cache)cache;
        int B = batch.B, G3 = 3 * H;
        k.Hh.Pack(Parameters.Value(weightHh), H, transB: false);
        Span<float> dh = k.HState.AsSpan(0, B * H);               // [B, H] gradient of the running h
        dhn[..(B * H)].CopyTo(dh);
        fixed (float* py = y, ph0 = h0)
        {
            k.Y = py;
            k.H0 = ph0;
            BackwardRecurrence(k, batch, dy, truncateBefore, k.Hh.PanelWidth, (long)G3 * H);
            k.Y = null;
            k.H0 = null;
        }
        dh.CopyTo(dh0);
        AccumulateGradients(k, batch, x, y, h0, dx);
    }

    private void AccumulateGradients(Cache k, PackedBatch batch, ReadOnlySpan<float> x, ReadOnlySpan<float> y,
        ReadOnlySpan<float> h0, Span<float> dx)
    {
        int N = batch.N, I = InputSize, G3 = 3 * H;
        // Weight gradients of all steps: the hidden side in one GEMM from Gates; the input side is [dr, dz] from
        // Gates and dn from HnPre, so its products split at row 2H of W_ih.
        Span<float> gWih = Parameters.Gradient(weightIh), gBih = Parameters.Gradient(biasIh);
        ReadOnlySpan<float> wIh = Parameters.Value(weightIh);
        AccumulatePreviousStateProduct(batch, G3, k.Gates, G3, y, h0, k.GH, Parameters.Gradient(weightHh));
        RowMath.AddColumnSums(k.Gates, N, G3, Parameters.Gradient(biasHh));
        Gemm.Sgemm(true, false, 2 * H, I, N, 1f, k.Gates, G3, x, I, 1f, gWih, I);
        Gemm.Sgemm(true, false, H, I, N, 1f, k.HnPre, H, x, I, 1f, gWih[(2 * H * I)..], I);
        RowMath.AddColumnSums(k.Gates, N, G3, gBih[..(2 * H)]);
        RowMath.AddColumnSums(k.HnPre, N, H, gBih[(2 * H)..]);
        if (!dx.IsEmpty)
        {
            Gemm.Sgemm(false, false, N, I, 2 * H, 1f, k.Gates, G3, wIh, I, 1f, dx, I);
            Gemm.Sgemm(false, false, N, I, H, 1f, k.HnPre, H, wIh[(2 * H * I)..], I, 1f, dx, I);
        }
    }

    /// <summary>
    /// Units [j0, j0 + n) of one row of the cell (<see cref="GruCellKernels.Forward"/>): g [3H] input-side pre-activations
    /// (with bias) in, r, z, n out; gh [3H] hidden-side products W_hh h (no bias); the n-wide slices hnPre out = W_hn h + b_hn,
    /// h the state before the step, hOut the state after it (may be h), also written to hOut2 unless it is empty.
    /// </summary>
    private void CellForward(Span<float> g, ReadOnlySpan<float> gh, int j0, int n, ReadOnlySpan<float> bHn, Span<float> hnPre,
        ReadOnlySpan<float> h, Span<float> hOut, Span<float> hOut2 = default)
    {
        fixed (float* pg = g, pgh = gh, pb = bHn, pPre = hnPre, ph = h, pOut = hOut, pOut2 = hOut2)
            GruCellKernels.Forward(SimdPaths.Best, pg + j0, pgh + j0, H, pb, pPre, ph, pOut, pOut2, n);
    }

    public override int StepScratchSize(int batch) => 2 * batch * 3 * H + H;

    public override StepWeights CreateStepWeights() => new(InputSize, H, 3 * H, H, 0);

    /// <summary>One step as Forward computes it: gx = x·W_ihᵀ + bias (b_ih, plus b_hh for r and z), gh = h·W_hhᵀ, the cell.</summary>
    public override void Step(StepWeights? weights, ReadOnlySpan<float> x, int batch, Span<float> h, Span<float> c, Span<float> y,
        Span<float> scratch)
    {
        ReadOnlySpan<float> bHh = Parameters.Value(biasHh);
        if (RepackStepWeights(weights, weightIh, weightHh))
        {
            Parameters.Value(biasIh).CopyTo(weights!.Bias);
            TensorPrimitives.Add(weights.Bias.AsSpan(0, 2 * H), bHh[..(2 * H)], weights.Bias.AsSpan(0, 2 * H));
        }
        var w = weights!;
        int B = batch, G3 = 3 * H;
        Span<float> gx = scratch[..(B * G3)];                     // [B, 3H]
        Span<float> gh = scratch.Slice(B * G3, B * G3);           // [B, 3H]
        Span<float> hnPre = scratch.Slice(2 * B * G3, H);         // [H]
        StepInputProduct(w, x, B, gx);
        Gemm.Sgemm(B, 1f, h, H, w.Hh, 0f, gh, G3);
        for (int b = 0; b < B; b++)
            CellForward(gx.Slice(b * G3, G3), gh.Slice(b * G3, G3), 0, H, bHh.Slice(2 * H, H), hnPre, h.Slice(b * H, H), h.Slice(b * H, H));
        h[..(B * H)].CopyTo(y);
    }
}
