using System.Numerics.Tensors;
using Baton.Numerics;

namespace Baton.Layers;

/// <summary>
/// One GRU layer-direction, PyTorch's equations and gate order (r, z, n):
/// r = σ(W_ir x + b_ir + W_hr h + b_hr), z = σ(W_iz x + b_iz + W_hz h + b_hz),
/// n = tanh(W_in x + b_in + r * (W_hn h + b_hn)), h' = (1 - z) * n + z * h.
/// Tensors: weight_ih [3H, I], weight_hh [3H, H], bias_ih [3H], bias_hh [3H].
/// </summary>
internal sealed class Gru : RecurrentLayer
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
        public float[] Gates = [];   // [N, 3H] activated r, z, n
        public float[] HnPre = [];   // [N, H] W_hn h + b_hn
        public float[] HPrev = [];   // [N, H] h before each step
        public float[] DGatesX = []; // [N, 3H] gradient of the input-side pre-activations (backward)
        public float[] DGatesH = []; // [N, 3H] gradient of the hidden-side pre-activations (backward)
        public float[] GH = [];      // [B, 3H] hidden-side pre-activations of one step
        public float[] HState = [];  // [B, H] running h (dh in backward)
        public readonly float[] Bias = new float[3 * h];  // [3H] b_ih + b_hh for r, z; b_ih for n
        public readonly float[] Tmp = new float[h];       // [H] scratch of one row
        public readonly PackedMatrix HhT = new(h, 3 * h);  // W_hhᵀ [H, 3H], forward recurrent product
        public readonly PackedMatrix Hh = new(3 * h, h);   // W_hh [3H, H], backward recurrent product

        protected override void Allocate(int rows, int batch)
        {
            Gates = new float[rows * 3 * h];
            HnPre = new float[rows * h];
            HPrev = new float[rows * h];
            DGatesX = new float[rows * 3 * h];
            DGatesH = new float[rows * 3 * h];
            GH = new float[batch * 3 * h];
            HState = new float[batch * h];
        }
    }

    public override LayerCache CreateCache() => new Cache(H);

    public override void Forward(LayerCache cache, PackedBatch batch, ReadOnlySpan<float> x,
        ReadOnlySpan<float> h0, ReadOnlySpan<float> c0, Span<float> y, Span<float> hn, Span<float> cn)
    {
        var k = (Cache)cache;
        int N = batch.N, B = batch.B, T = batch.T, I = InputSize, G3 = 3 * H;
        k.Ensure(N, B);
        ReadOnlySpan<float> wIh = Parameters.Value(weightIh);     // [3H, I]
        k.HhT.Pack(Parameters.Value(weightHh), H, transB: true);
        ReadOnlySpan<float> bHh = Parameters.Value(biasHh);       // [3H]
        ReadOnlySpan<float> bHn = bHh.Slice(2 * H, H);            // [H]
        Parameters.Value(biasIh).CopyTo(k.Bias);
        TensorPrimitives.Add(k.Bias.AsSpan(0, 2 * H), bHh[..(2 * H)], k.Bias.AsSpan(0, 2 * H));

        // Input projections of all steps in one GEMM: Gates[N, 3H] = x · W_ihᵀ + bias.
        Gemm.Sgemm(false, true, N, G3, I, 1f, x, I, wIh, I, 0f, k.Gates, G3);
        RowMath.AddBias(k.Gates, N, k.Bias);

        h0[..(B * H)].CopyTo(k.HState);
        for (int s = 0; s < T; s++)
        {
            int t = Reverse ? T - 1 - s : s;
            int bs = batch.BatchSizes[t];
            if (bs == 0)
                continue;
            int o = batch.Offsets[t];
            k.HState.AsSpan(0, bs * H).CopyTo(k.HPrev.AsSpan(o * H));
            // Recurrent GEMM for this step: GH[bs, 3H] = HPrev · W_hhᵀ.
            Gemm.Sgemm(bs, 1f, k.HPrev.AsSpan(o * H), H, k.HhT, 0f, k.GH, G3);
            for (int b = 0; b < bs; b++)
            {
                int row = o + b;
                CellForward(k.Gates.AsSpan(row * G3, G3), k.GH.AsSpan(b * G3, G3), bHn, k.HnPre.AsSpan(row * H, H), k.HState.AsSpan(b * H, H), k.Tmp);
            }
            k.HState.AsSpan(0, bs * H).CopyTo(y.Slice(o * H));
        }
        k.HState.AsSpan(0, B * H).CopyTo(hn);
    }

    public override void Backward(LayerCache cache, PackedBatch batch, ReadOnlySpan<float> x, ReadOnlySpan<float> y,
        ReadOnlySpan<float> dy, ReadOnlySpan<float> dhn, ReadOnlySpan<float> dcn,
        Span<float> dx, Span<float> dh0, Span<float> dc0, int truncateBefore)
    {
        var k = (Cache)cache;
        int N = batch.N, B = batch.B, T = batch.T, I = InputSize, G3 = 3 * H;
        k.Hh.Pack(Parameters.Value(weightHh), H, transB: false);
        Span<float> dh = k.HState.AsSpan(0, B * H);               // [B, H] gradient of the running h
        Span<float> tmp = k.Tmp;
        dhn[..(B * H)].CopyTo(dh);
        for (int s = T - 1; s >= 0; s--)
        {
            int t = Reverse ? T - 1 - s : s;
            int bs = batch.BatchSizes[t];
            if (bs == 0)
                continue;
            int o = batch.Offsets[t];
            TensorPrimitives.Add(dh[..(bs * H)], dy.Slice(o * H, bs * H), dh[..(bs * H)]);
            for (int b = 0; b < bs; b++)
            {
                int row = o + b;
                ReadOnlySpan<float> g = k.Gates.AsSpan(row * G3, G3);
                ReadOnlySpan<float> r = g[..H], z = g.Slice(H, H), n = g.Slice(2 * H, H);
                Span<float> dGx = k.DGatesX.AsSpan(row * G3, G3);
                Span<float> dGh = k.DGatesH.AsSpan(row * G3, G3);
                Span<float> dhRow = dh.Slice(b * H, H);
                TensorPrimitives.Multiply(dhRow, z, tmp);
                TensorPrimitives.Subtract(dhRow, tmp, tmp);
                Activations.TanhBackward(n, tmp, dGx.Slice(2 * H, H));                // d n_pre = dh * (1 - z) * (1 - n²)
                TensorPrimitives.Multiply(dGx.Slice(2 * H, H), r, dGh.Slice(2 * H, H)); // d (W_hn h + b_hn) = d n_pre * r
                TensorPrimitives.Multiply(dGx.Slice(2 * H, H), k.HnPre.AsSpan(row * H, H), tmp);
                Activations.SigmoidBackward(r, tmp, dGx[..H]);                         // d r_pre
                TensorPrimitives.Subtract(k.HPrev.AsSpan(row * H, H), n, tmp);
                TensorPrimitives.Multiply(tmp, dhRow, tmp);
                Activations.SigmoidBackward(z, tmp, dGx.Slice(H, H));                  // d z_pre = dh * (h - n) * σ'
                dGx[..(2 * H)].CopyTo(dGh);
                TensorPrimitives.Multiply(dhRow, z, dhRow);                            // direct path: dh * z
            }
            // dh_prev = dh * z + dGatesH · W_hh  ([bs, 3H] · [3H, H]).
            Gemm.Sgemm(bs, 1f, k.DGatesH.AsSpan(o * G3), G3, k.Hh, 1f, dh, H);
            if (IsCut(t, truncateBefore))
                dh[..(CutRows(batch, t, Reverse) * H)].Clear();
        }
        dh.CopyTo(dh0);

        // Weight gradients of all steps, one GEMM each.
        AccumulateWeightGradients(weightIh, weightHh, biasIh, biasHh, N, k.DGatesX, k.DGatesH, x, k.HPrev, dx);
    }

    /// <summary>One row of the cell: g [3H] input-side pre-activations (with bias) in, r, z, n out; gh [3H] hidden-side
    /// products W_hh h (no bias); hnPre [H] out = W_hn h + b_hn; h [H] updated.</summary>
    private void CellForward(Span<float> g, ReadOnlySpan<float> gh, ReadOnlySpan<float> bHn, Span<float> hnPre, Span<float> h, Span<float> tmp)
    {
        Span<float> rz = g[..(2 * H)], r = g[..H], z = g.Slice(H, H), n = g.Slice(2 * H, H);
        TensorPrimitives.Add(rz, gh[..(2 * H)], rz);
        Activations.Sigmoid(rz, rz);
        TensorPrimitives.Add(gh.Slice(2 * H, H), bHn, hnPre);
        TensorPrimitives.FusedMultiplyAdd(r, hnPre, n, n);
        Activations.Tanh(n, n);
        TensorPrimitives.Subtract(h, n, tmp);
        TensorPrimitives.FusedMultiplyAdd(z, tmp, n, h);                          // h' = n + z * (h - n)
    }

    public override int StepScratchSize(int batch) => 2 * batch * 3 * H + 3 * H + 2 * H;

    public override void Step(ReadOnlySpan<float> x, int batch, Span<float> h, Span<float> c, Span<float> y, Span<float> scratch)
    {
        int B = batch, I = InputSize, G3 = 3 * H;
        Span<float> gx = scratch[..(B * G3)];                     // [B, 3H]
        Span<float> gh = scratch.Slice(B * G3, B * G3);           // [B, 3H]
        Span<float> bias = scratch.Slice(2 * B * G3, G3);         // [3H]
        Span<float> hnPre = scratch.Slice(2 * B * G3 + G3, H);    // [H]
        Span<float> tmp = scratch.Slice(2 * B * G3 + G3 + H, H);  // [H]
        ReadOnlySpan<float> bHh = Parameters.Value(biasHh);
        Parameters.Value(biasIh).CopyTo(bias);
        TensorPrimitives.Add(bias[..(2 * H)], bHh[..(2 * H)], bias[..(2 * H)]);
        MatVec.MultiplyPair(Parameters.Value(weightIh), I, x, bias, gx, Parameters.Value(weightHh), H, h, gh, G3, B);
        for (int b = 0; b < B; b++)
            CellForward(gx.Slice(b * G3, G3), gh.Slice(b * G3, G3), bHh.Slice(2 * H, H), hnPre, h.Slice(b * H, H), tmp);
        h[..(B * H)].CopyTo(y);
    }
}
