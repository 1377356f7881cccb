using System.Numerics.Tensors;
using Baton.Numerics;

namespace Baton.Layers;

/// <summary>
/// One Elman RNN layer-direction: h' = act(W_ih x + b_ih + W_hh h + b_hh), act = tanh or relu.
/// Tensors: weight_ih [H, I], weight_hh [H, H], bias_ih [H], bias_hh [H].
/// The time loop is <see cref="StepScheduler"/>'s; this file is the cell: Forward (the input projection of all steps),
/// <see cref="ForwardBlock"/> (one step), <see cref="BackwardBlock"/> (one step back), Backward (the weight gradients of
/// all steps) and <see cref="StepInput"/> (the input half of a streaming step).
/// </summary>
internal sealed unsafe class Rnn : RecurrentCell
{
    private readonly int H;
    private readonly bool relu;
    private readonly ParameterTensor weightIh, weightHh, biasIh, biasHh;
    private readonly ParameterTensor[] tensors;

    public Rnn(Parameters parameters, string prefix, string suffix, int inputSize, int hiddenSize, Nonlinearity nonlinearity, bool reverse)
        : base(parameters, inputSize, hiddenSize, 0, hiddenSize, reverse)
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

    private sealed class Cache(int h) : CellCache
    {
        public float[] DPre = [];    // [N, H] gradient of the pre-activation (backward)
        public float[] HState = [];  // [B, H] running h (dh in backward)
        public float[] HNext = [];   // [B, H] the other running-h buffer of a unit-split forward
        public readonly float[] Bias = new float[h];     // [H] b_ih + b_hh
        // W_hhᵀ for the forward recurrent product, W_hh for the backward one, in one storage (each pass packs its own).
        private readonly (PackedMatrix Forward, PackedMatrix Backward) recurrent = PackedMatrix.SharingStorage(h, h);
        public PackedMatrix HhT => recurrent.Forward;
        public PackedMatrix Hh => recurrent.Backward;

        protected override void Allocate(int rows, int batch)
        {
            DPre = new float[rows * h];
            HState = new float[batch * h];
            HNext = new float[batch * h];
        }
    }

    public override LayerCache CreateCache() => new Cache(H);

    public override void Forward(LayerCache cache, PackedBatch batch, ReadOnlySpan<float> x,
        ReadOnlySpan<float> h0, ReadOnlySpan<float> c0, Span<float> y, Span<float> hn, Span<float> cn)
    {
        var k = (Cache)cache;
        int N = batch.N, B = batch.B, I = InputSize;
        k.Ensure(N, B);
        k.HhT.Pack(Parameters.Value(weightHh), H, transB: true);
        TensorPrimitives.Add(Parameters.Value(biasIh), Parameters.Value(biasHh), k.Bias);

        // Input projections of all steps in one GEMM, straight into y: y[N, H] = x · W_ihᵀ + (b_ih + b_hh).
        Gemm.Sgemm(false, true, N, H, I, 1f, x, I, Parameters.Value(weightIh), I, 0f, y, H);
        RowMath.AddBias(y, N, k.Bias);

        h0[..(B * H)].CopyTo(k.HState);
        Scheduler(k).Forward(batch, y, k.HState, k.HNext, default, hn, k.HhT.PanelWidth, (long)H * H);
    }

    /// <summary>y rows += h_{t−1} · W_hhᵀ for the block's units, then act, row by row (the tail of a row is its own,
    /// whatever the split), into y and the running h.</summary>
    public override void ForwardBlock(CellCache cache, in StepBlock step)
    {
        var k = (Cache)cache;
        int rows = step.R1 - step.R0;
        var y = Rows(step.Out, step.O + step.R0, rows, H);
        Product(step, rows, Rows(step.HIn, step.R0, rows, H), H, k.HhT, 1f, y, H, step.U0, step.N);
        for (int b = 0; b < rows; b++)
        {
            var hNew = y.Slice(b * H + step.U0, step.N);
            Activate(hNew);
            hNew.CopyTo(Rows(step.HOut, step.R0 + b, 1, H).Slice(step.U0, step.N));
        }
    }

    private void Activate(Span<float> v)
    {
        if (relu)
            TensorPrimitives.Max(v, 0f, v);
        else
            Activations.Tanh(v, v);
    }

    /// <summary>dh = the previous step's dPre · W_hh for the block's units, its truncation cut, then
    /// dPre = (dh + dy) · act'(y).</summary>
    public override void BackwardBlock(CellCache cache, in StepBlock step)
    {
        var k = (Cache)cache;
        int prevRows = step.PrevR1 - step.R0;
        if (prevRows > 0)
        {
            Product(step, prevRows, k.DPre.AsSpan((step.PrevO + step.R0) * H), H, k.Hh, 0f, k.HState.AsSpan(step.R0 * H), H,
                step.U0, step.N);
            for (int r = step.R0; r < step.PrevCut; r++)
                k.HState.AsSpan(r * H + step.U0, step.N).Clear();
        }
        for (int b = step.R0; b < step.R1; b++)
        {
            int row = step.O + b;
            var yRow = new ReadOnlySpan<float>(k.Y + (long)row * H + step.U0, step.N);
            Span<float> dPre = k.DPre.AsSpan(row * H + step.U0, step.N);
            TensorPrimitives.Add(k.HState.AsSpan(b * H + step.U0, step.N), Rows(step.Out, row, 1, H).Slice(step.U0, step.N), dPre);
            if (relu)
            {
                for (int e = 0; e < dPre.Length; e++)
                    dPre[e] = yRow[e] > 0f ? dPre[e] : 0f;
            }
            else
            {
                Activations.TanhBackward(yRow, dPre, dPre);
            }
        }
    }

    public override void Backward(LayerCache cache, PackedBatch batch, ReadOnlySpan<float> x, ReadOnlySpan<float> h0,
        ReadOnlySpan<float> c0, ReadOnlySpan<float> y, ReadOnlySpan<float> dy, ReadOnlySpan<float> dhn, ReadOnlySpan<float> dcn,
        Span<float> dx, Span<float> dh0, Span<float> dc0, int truncateBefore)
    {
        var k = (Cache)cache;
        int B = batch.B;
        k.Hh.Pack(Parameters.Value(weightHh), H, transB: false);
        Span<float> dh = k.HState.AsSpan(0, B * H);               // [B, H] gradient of the running h
        dhn[..(B * H)].CopyTo(dh);
        fixed (float* py = y)
        {
            k.Y = py;
            Scheduler(k).Backward(batch, dy, truncateBefore, k.Hh.PanelWidth, (long)H * H);
            k.Y = null;
        }
        dh.CopyTo(dh0);

        // Weight gradients of all steps, one GEMM each (dh is in dh0 now: HState is free for the first steps' rows).
        AccumulateWeightGradients(weightIh, weightHh, biasIh, biasHh, batch, k.DPre, k.DPre, x, y, h0, k.HState, dx);
    }

    /// <summary>y [B, H] = x · W_ihᵀ + (b_ih + b_hh) on the stream's packed weights (packed again, with the bias, when the
    /// parameters moved); <see cref="ForwardBlock"/> adds h · W_hhᵀ there.</summary>
    public override void StepInput(CellCache cache, ReadOnlySpan<float> x, int batch, Span<float> y)
    {
        var k = (Cache)cache;
        if (RepackForStep(k, weightIh, weightHh, k.HhT))
            TensorPrimitives.Add(Parameters.Value(biasIh), Parameters.Value(biasHh), k.Bias);
        StepInputProduct(k, x, batch, k.Bias, y[..(batch * H)]);
    }
}
