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
        public float[] Bias = [];    // [3H] b_ih + b_hh for r, z; b_ih for n

        protected override void Allocate(int rows, int batch)
        {
            Gates = new float[rows * 3 * h];
            HnPre = new float[rows * h];
            HPrev = new float[rows * h];
            DGatesX = new float[rows * 3 * h];
            DGatesH = new float[rows * 3 * h];
            GH = new float[batch * 3 * h];
            HState = new float[batch * h];
            Bias = new float[3 * h];
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
        ReadOnlySpan<float> wHh = Parameters.Value(weightHh);     // [3H, H]
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
            Gemm.Sgemm(false, true, bs, G3, H, 1f, k.HPrev.AsSpan(o * H), H, wHh, H, 0f, k.GH, G3);
            for (int b = 0; b < bs; b++)
            {
                int row = o + b;
                Span<float> g = k.Gates.AsSpan(row * G3, G3);
                ReadOnlySpan<float> gh = k.GH.AsSpan(b * G3, G3);
                Span<float> hnPre = k.HnPre.AsSpan(row * H, H);
                Span<float> h = k.HState.AsSpan(b * H, H);
                TensorPrimitives.Add(g[..(2 * H)], gh[..(2 * H)], g[..(2 * H)]);
                TensorPrimitives.Sigmoid(g[..(2 * H)], g[..(2 * H)]);
                TensorPrimitives.Add(gh.Slice(2 * H, H), bHn, hnPre);
                for (int j = 0; j < H; j++)
                {
                    float n = MathF.Tanh(g[2 * H + j] + g[j] * hnPre[j]);
                    g[2 * H + j] = n;
                    float z = g[H + j];
                    h[j] = (1f - z) * n + z * h[j];
                }
                h.CopyTo(y.Slice(row * H, H));
            }
        }
        k.HState.AsSpan(0, B * H).CopyTo(hn);
    }

    public override void Backward(LayerCache cache, PackedBatch batch, ReadOnlySpan<float> x, ReadOnlySpan<float> y,
        ReadOnlySpan<float> dy, ReadOnlySpan<float> dhn, ReadOnlySpan<float> dcn,
        Span<float> dx, Span<float> dh0, Span<float> dc0, int truncateBefore)
    {
        var k = (Cache)cache;
        int N = batch.N, B = batch.B, T = batch.T, I = InputSize, G3 = 3 * H;
        ReadOnlySpan<float> wIh = Parameters.Value(weightIh);     // [3H, I]
        ReadOnlySpan<float> wHh = Parameters.Value(weightHh);     // [3H, H]
        Span<float> dh = k.HState.AsSpan(0, B * H);               // [B, H] gradient of the running h
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
                ReadOnlySpan<float> hnPre = k.HnPre.AsSpan(row * H, H);
                ReadOnlySpan<float> hPrev = k.HPrev.AsSpan(row * H, H);
                Span<float> dGx = k.DGatesX.AsSpan(row * G3, G3);
                Span<float> dGh = k.DGatesH.AsSpan(row * G3, G3);
                Span<float> dhRow = dh.Slice(b * H, H);
                for (int j = 0; j < H; j++)
                {
                    float r = g[j], z = g[H + j], n = g[2 * H + j], dhj = dhRow[j];
                    float dnPre = dhj * (1f - z) * (1f - n * n);
                    float drPre = dnPre * hnPre[j] * r * (1f - r);
                    float dzPre = dhj * (hPrev[j] - n) * z * (1f - z);
                    dGx[j] = drPre;
                    dGx[H + j] = dzPre;
                    dGx[2 * H + j] = dnPre;
                    dGh[j] = drPre;
                    dGh[H + j] = dzPre;
                    dGh[2 * H + j] = dnPre * r;
                    dhRow[j] = dhj * z;
                }
            }
            // dh_prev = dh * z + dGatesH · W_hh  ([bs, 3H] · [3H, H]).
            Gemm.Sgemm(false, false, bs, H, G3, 1f, k.DGatesH.AsSpan(o * G3), G3, wHh, H, 1f, dh, H);
            if (IsCut(t, truncateBefore))
                dh[..(CutRows(batch, t, Reverse) * H)].Clear();
        }
        dh.CopyTo(dh0);

        // Weight gradients of all steps, one GEMM each.
        Gemm.Sgemm(true, false, G3, I, N, 1f, k.DGatesX, G3, x, I, 1f, Parameters.Gradient(weightIh), I);
        Gemm.Sgemm(true, false, G3, H, N, 1f, k.DGatesH, G3, k.HPrev, H, 1f, Parameters.Gradient(weightHh), H);
        RowMath.AddColumnSums(k.DGatesX, N, Parameters.Gradient(biasIh));
        RowMath.AddColumnSums(k.DGatesH, N, Parameters.Gradient(biasHh));
        if (!dx.IsEmpty)
            Gemm.Sgemm(false, false, N, I, G3, 1f, k.DGatesX, G3, wIh, I, 1f, dx, I);
    }

    public override int StepScratchSize(int batch) => 2 * batch * 3 * H + 3 * H;

    public override void Step(ReadOnlySpan<float> x, int batch, Span<float> h, Span<float> c, Span<float> y, Span<float> scratch)
    {
        int B = batch, I = InputSize, G3 = 3 * H;
        Span<float> gx = scratch[..(B * G3)];                     // [B, 3H]
        Span<float> gh = scratch.Slice(B * G3, B * G3);           // [B, 3H]
        Span<float> bias = scratch.Slice(2 * B * G3, G3);         // [3H]
        ReadOnlySpan<float> bHh = Parameters.Value(biasHh);
        Parameters.Value(biasIh).CopyTo(bias);
        TensorPrimitives.Add(bias[..(2 * H)], bHh[..(2 * H)], bias[..(2 * H)]);
        Gemm.Sgemm(false, true, B, G3, I, 1f, x, I, Parameters.Value(weightIh), I, 0f, gx, G3);
        RowMath.AddBias(gx, B, bias);
        Gemm.Sgemm(false, true, B, G3, H, 1f, h, H, Parameters.Value(weightHh), H, 0f, gh, G3);
        for (int b = 0; b < B; b++)
        {
            Span<float> g = gx.Slice(b * G3, G3);
            Span<float> ghRow = gh.Slice(b * G3, G3);
            Span<float> hRow = h.Slice(b * H, H);
            TensorPrimitives.Add(g[..(2 * H)], ghRow[..(2 * H)], g[..(2 * H)]);
            TensorPrimitives.Sigmoid(g[..(2 * H)], g[..(2 * H)]);
            TensorPrimitives.Add(ghRow.Slice(2 * H, H), bHh.Slice(2 * H, H), ghRow.Slice(2 * H, H));
            for (int j = 0; j < H; j++)
            {
                float n = MathF.Tanh(g[2 * H + j] + g[j] * ghRow[2 * H + j]);
                float z = g[H + j];
                hRow[j] = (1f - z) * n + z * hRow[j];
            }
        }
        h[..(B * H)].CopyTo(y);
    }
}
