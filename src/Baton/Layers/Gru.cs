using System.Numerics.Tensors;
using Baton.Numerics;

namespace Baton.Layers;

/// <summary>
/// One GRU layer-direction, PyTorch's equations and gate order (r, z, n):
/// r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
/// n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h.
/// Tensors: weight_ih [3H, I], weight_hh [3H, H], bias_ih [3H], bias_hh [3H].
/// The time loop is <see cref="StepScheduler"/>'s; this file is the cell: Forward (the input projection of all steps),
/// <see cref="ForwardBlock"/> (one step), <see cref="BackwardBlock"/> (one step back), Backward (the weight gradients of
/// all steps) and <see cref="StepInput"/> (the input half of a streaming step).
/// </summary>
internal sealed unsafe class Gru : RecurrentCell
{
    private readonly int H;
    private readonly ParameterTensor weightIh, weightHh, biasIh, biasHh;
    private readonly ParameterTensor[] tensors;

    public Gru(Parameters parameters, string prefix, string suffix, int inputSize, int hiddenSize, bool reverse)
        : base(parameters, inputSize, hiddenSize, 0, 3 * hiddenSize, reverse)
    {
        H = hiddenSize;
        weightIh = parameters.Add($"{prefix}weight_ih{suffix}", 3 * H, inputSize);
        weightHh = parameters.Add($"{prefix}weight_hh{suffix}", 3 * H, H);
        biasIh = parameters.Add($"{prefix}bias_ih{suffix}", 3 * H);
        biasHh = parameters.Add($"{prefix}bias_hh{suffix}", 3 * H);
        tensors = [weightIh, weightHh, biasIh, biasHh];
    }

    public override IReadOnlyList<ParameterTensor> Tensors => tensors;

    private sealed class Cache(int h) : CellCache
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
        SetBias(k);

        // Input projections of all steps in one GEMM: Gates[N, 3H] = x · W_ihᵀ + bias.
        Gemm.Sgemm(false, true, N, G3, I, 1f, x, I, wIh, I, 0f, k.Gates, G3);
        RowMath.AddBias(k.Gates, N, k.Bias);

        h0[..(B * H)].CopyTo(k.HState);
        Scheduler(k).Forward(batch, y, k.HState, k.HNext, default, hn, k.HhT.PanelWidth, (long)G3 * H);
    }

    /// <summary>The bias added to x · W_ihᵀ: b_ih + b_hh for r and z, b_ih alone for n (b_hn sits inside r · (…)).</summary>
    private void SetBias(Cache k)
    {
        ReadOnlySpan<float> bHh = Parameters.Value(biasHh);       // [3H]
        Parameters.Value(biasIh).CopyTo(k.Bias);
        TensorPrimitives.Add(k.Bias.AsSpan(0, 2 * H), bHh[..(2 * H)], k.Bias.AsSpan(0, 2 * H));
    }

    /// <summary>
    /// GH [rows, 3H] = h_{t−1} · W_hhᵀ for the three gate slices of the block's units, then the cell
    /// (<see cref="GruCellKernels.Forward"/>): Gates ← r, z, n, HnPre ← W_hn h + b_hn, h_t into y and the running h.
    /// </summary>
    public override void ForwardBlock(CellCache cache, in StepBlock step)
    {
        var k = (Cache)cache;
        int G3 = 3 * H, rows = step.R1 - step.R0;
        Product(step, rows, Rows(step.HIn, step.R0, rows, H), H, k.HhT, 0f, k.GH.AsSpan(step.R0 * G3), G3, step.U0, step.N, groups: 3);
        ReadOnlySpan<float> bHn = Parameters.Value(biasHh).Slice(2 * H + step.U0, step.N);
        fixed (float* pg = k.Gates, pgh = k.GH, pb = bHn, pPre = k.HnPre)
        {
            for (int b = step.R0; b < step.R1; b++)
            {
                long row = step.O + b;
                GruCellKernels.Forward(SimdPaths.Best, pg + row * G3 + step.U0, pgh + (long)b * G3 + step.U0, H, pb,
                    pPre + row * H + step.U0, step.HIn + (long)b * H + step.U0, step.Out + row * H + step.U0,
                    step.HOut + (long)b * H + step.U0, step.N);
            }
        }
    }

    /// <summary>
    /// dh += the previous step's dGatesH · W_hh for the block's units (dh holds dh·z there, the direct path), its truncation
    /// cut, then the cell backward in place (<see cref="GruCellKernels.Backward"/>): dh += dy, Gates ← [dr, dz, dn·r],
    /// HnPre ← dn (input side), dh ← dh·z.
    /// </summary>
    public override void BackwardBlock(CellCache cache, in StepBlock step)
    {
        var k = (Cache)cache;
        int G3 = 3 * H;
        int prevRows = step.PrevR1 - step.R0;
        if (prevRows > 0)
        {
            Product(step, prevRows, k.Gates.AsSpan((step.PrevO + step.R0) * G3), G3, k.Hh, 1f, k.HState.AsSpan(step.R0 * H), H,
                step.U0, step.N);
            for (int r = step.R0; r < step.PrevCut; r++)
                k.HState.AsSpan(r * H + step.U0, step.N).Clear();
        }
        fixed (float* pg = k.Gates, pPre = k.HnPre, pdh = k.HState)
        {
            for (int b = step.R0; b < step.R1; b++)
            {
                long row = step.O + b;
                float* hPrev = b < step.Before.Rows ? k.Y + (long)(step.Before.Offset + b) * H : k.H0 + (long)b * H;
                GruCellKernels.Backward(SimdPaths.Best, pg + row * G3 + step.U0, H, pPre + row * H + step.U0, hPrev + step.U0,
                    pdh + (long)b * H + step.U0, step.Out + row * H + step.U0, step.N);
            }
        }
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
            Scheduler(k).Backward(batch, dy, truncateBefore, k.Hh.PanelWidth, (long)G3 * H);
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

    /// <summary>Gates [B, 3H] = x · W_ihᵀ + bias on the stream's packed weights (packed again, with the bias, when the
    /// parameters moved).</summary>
    public override void StepInput(CellCache cache, ReadOnlySpan<float> x, int batch, Span<float> y)
    {
        var k = (Cache)cache;
        if (RepackForStep(k, weightIh, weightHh, k.HhT))
            SetBias(k);
        StepInputProduct(k, x, batch, k.Bias, k.Gates.AsSpan(0, batch * 3 * H));
    }
}
