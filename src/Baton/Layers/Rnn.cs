using System.Numerics.Tensors;
using Baton.Numerics;

namespace Baton.Layers;

/// <summary>
/// One Elman RNN layer-direction: h' = act(W_ih x + b_ih + W_hh h + b_hh), act = tanh or relu.
/// Tensors: weight_ih [H, I], weight_hh [H, H], bias_ih [H], bias_hh [H].
/// </summary>
internal sealed class Rnn : RecurrentLayer
{
    private readonly int H;
    private readonly bool relu;
    private readonly ParameterTensor weightIh, weightHh, biasIh, biasHh;
    private readonly ParameterTensor[] tensors;

    public Rnn(Parameters parameters, string prefix, string suffix, int inputSize, int hiddenSize, Nonlinearity nonlinearity, bool reverse)
        : base(parameters, inputSize, hiddenSize, 0, reverse)
    {
        H = hiddenSize;
        relu = nonlinearity == Nonlinearity.Relu;
        weightIh = parameters.Add($"{prefix}weight_ih{suffix}", H, inputSize);
        weightHh = parameters.Add($"{prefix}weight_hh{suffix}", H, H);
        biasIh = parameters.Add($"{prefix}bias_ih{suffix}", H);
        biasHh = parameters.Add($"{prefix}bias_hh{suffix}", H);
        tensors = [weightIh, weightHh, biasIh, biasHh];
    }

    public override IReadOnlyList<ParameterTensor> Tensors => tensors;

    private sealed class Cache(int h) : LayerCache
    {
        public float[] HPrev = [];   // [N, H] h before each step
        public float[] DPre = [];    // [N, H] gradient of the pre-activation (backward)
        public float[] HState = [];  // [B, H] running h (dh in backward)
        public readonly float[] Bias = new float[h];     // [H] b_ih + b_hh
        public readonly PackedMatrix HhT = new(h, h);     // W_hhᵀ, forward recurrent product
        public readonly PackedMatrix Hh = new(h, h);      // W_hh, backward recurrent product

        protected override void Allocate(int rows, int batch)
        {
            HPrev = new float[rows * h];
            DPre = new float[rows * h];
            HState = new float[batch * h];
        }
    }

    public override LayerCache CreateCache() => new Cache(H);

    private void Activate(Span<float> v)
    {
        if (relu)
            TensorPrimitives.Max(v, 0f, v);
        else
            Activations.Tanh(v, v);
    }

    public override void Forward(LayerCache cache, PackedBatch batch, ReadOnlySpan<float> x,
        ReadOnlySpan<float> h0, ReadOnlySpan<float> c0, Span<float> y, Span<float> hn, Span<float> cn)
    {
        var k = (Cache)cache;
        int N = batch.N, B = batch.B, T = batch.T, I = InputSize;
        k.Ensure(N, B);
        k.HhT.Pack(Parameters.Value(weightHh), H, transB: true);
        TensorPrimitives.Add(Parameters.Value(biasIh), Parameters.Value(biasHh), k.Bias);

        // Input projections of all steps in one GEMM, straight into y: y[N, H] = x · W_ihᵀ + (b_ih + b_hh).
        Gemm.Sgemm(false, true, N, H, I, 1f, x, I, Parameters.Value(weightIh), I, 0f, y, H);
        RowMath.AddBias(y, N, k.Bias);

        h0[..(B * H)].CopyTo(k.HState);
        for (int s = 0; s < T; s++)
        {
            int t = Reverse ? T - 1 - s : s;
            int bs = batch.BatchSizes[t];
            if (bs == 0)
                continue;
            int o = batch.Offsets[t];
            k.HState.AsSpan(0, bs * H).CopyTo(k.HPrev.AsSpan(o * H));
            Span<float> yt = y.Slice(o * H, bs * H);
            Gemm.Sgemm(bs, 1f, k.HPrev.AsSpan(o * H), H, k.HhT, 1f, yt, H);
            Activate(yt);
            yt.CopyTo(k.HState);
        }
        k.HState.AsSpan(0, B * H).CopyTo(hn);
    }

    public override void Backward(LayerCache cache, PackedBatch batch, ReadOnlySpan<float> x, ReadOnlySpan<float> y,
        ReadOnlySpan<float> dy, ReadOnlySpan<float> dhn, ReadOnlySpan<float> dcn,
        Span<float> dx, Span<float> dh0, Span<float> dc0, int truncateBefore)
    {
        var k = (Cache)cache;
        int N = batch.N, B = batch.B, T = batch.T, I = InputSize;
        k.Hh.Pack(Parameters.Value(weightHh), H, transB: false);
        Span<float> dh = k.HState.AsSpan(0, B * H);               // [B, H] gradient of the running h
        dhn[..(B * H)].CopyTo(dh);
        for (int s = T - 1; s >= 0; s--)
        {
            int t = Reverse ? T - 1 - s : s;
            int bs = batch.BatchSizes[t];
            if (bs == 0)
                continue;
            int o = batch.Offsets[t];
            ReadOnlySpan<float> yt = y.Slice(o * H, bs * H);
            ReadOnlySpan<float> dyt = dy.Slice(o * H, bs * H);
            Span<float> dPre = k.DPre.AsSpan(o * H, bs * H);
            TensorPrimitives.Add(dh[..(bs * H)], dyt, dPre);
            if (relu)
            {
                for (int e = 0; e < bs * H; e++)
                    dPre[e] = yt[e] > 0f ? dPre[e] : 0f;
            }
            else
            {
                Activations.TanhBackward(yt, dPre, dPre);
            }
            // dh_prev = dPre · W_hh  ([bs, H] · [H, H]).
            Gemm.Sgemm(bs, 1f, dPre, H, k.Hh, 0f, dh, H);
            if (IsCut(t, truncateBefore))
                dh[..(CutRows(batch, t, Reverse) * H)].Clear();
        }
        dh.CopyTo(dh0);

        // Weight gradients of all steps, one GEMM each.
        AccumulateWeightGradients(weightIh, weightHh, biasIh, biasHh, N, k.DPre, k.DPre, x, k.HPrev, dx);
    }

    public override int StepScratchSize(int batch) => batch * H + H;

    public override void Step(ReadOnlySpan<float> x, int batch, Span<float> h, Span<float> c, Span<float> y, Span<float> scratch)
    {
        int B = batch, I = InputSize;
        Span<float> pre = scratch[..(B * H)];                     // [B, H]
        Span<float> bias = scratch.Slice(B * H, H);               // [H]
        TensorPrimitives.Add(Parameters.Value(biasIh), Parameters.Value(biasHh), bias);
        MatVec.MultiplyAdd(Parameters.Value(weightIh), I, x, Parameters.Value(weightHh), H, h, bias, H, B, pre, H);
        Activate(pre);
        pre.CopyTo(h);
        pre.CopyTo(y);
    }
}
