using System.Numerics.Tensors;
using Baton.Numerics;

namespace Baton.Layers;

/// <summary>
/// One Elman RNN layer-direction: h' = act(W_ih x + b_ih + W_hh h + b_hh), act = tanh or relu.
/// Tensors: weight_ih [H, I], weight_hh [H, H], bias_ih [H], bias_hh [H].
/// </summary>
internal sealed unsafe class Rnn : RecurrentLayer
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
        int N = batch.N, B = batch.B, I = InputSize;
        k.Ensure(N, B);
        k.HhT.Pack(Parameters.Value(weightHh), H, transB: true);
        TensorPrimitives.Add(Parameters.Value(biasIh), Parameters.Value(biasHh), k.Bias);

        // Input projections of all steps in one GEMM, straight into y: y[N, H] = x · W_ihᵀ + (b_ih + b_hh).
        Gemm.Sgemm(false, true, N, H, I, 1f, x, I, Parameters.Value(weightIh), I, 0f, y, H);
        RowMath.AddBias(y, N, k.Bias);

        // y[o.., :] = act(y + h · W_hhᵀ), step by step.
        h0[..(B * H)].CopyTo(k.HState);
        ForwardRecurrence(k, batch, y, k.HState, k.HNext, hn, k.HhT.PanelWidth, (long)H * H);
    }

    protected override void ForwardRows(LayerCache cache, PackedBatch batch, float* y, int b0, int b1)
    {
        var k = (Cache)cache;
        for (int s = 0; s < batch.T; s++)
        {
            int t = Reverse ? batch.T - 1 - s : s;
            int r1 = Math.Min(b1, batch.BatchSizes[t]);
            if (r1 <= b0)
                continue;
            int o = batch.Offsets[t], rows = r1 - b0;
            var yRows = new Span<float>(y + (long)(o + b0) * H, rows * H);
            Gemm.Sgemm(rows, 1f, k.HState.AsSpan(b0 * H), H, k.HhT, 1f, yRows, H, 0, H);
            for (int b = 0; b < rows; b++)
                Activate(yRows.Slice(b * H, H));   // row by row, as the unit split does: the tail of a row is its own
            yRows.CopyTo(k.HState.AsSpan(b0 * H));
        }
    }

    protected override void BackwardStepRows(LayerCache cache, PackedBatch batch, int t, int b0, int r1, float* dy)
    {
        var k = (Cache)cache;
        PreGradient(k, batch.Offsets[t], b0, r1 - b0, k.HState.AsSpan(b0 * H), dy, k.Y, 0, H);
    }

    /// <summary>dh rows [b0, r1) = those rows of the step at <paramref name="o"/>'s dPre · W_hh, then rows below cut detached.</summary>
    protected override void DeferredRows(LayerCache cache, int o, int b0, int r1, int cut)
    {
        var k = (Cache)cache;
        Gemm.Sgemm(r1 - b0, 1f, k.DPre.AsSpan((o + b0) * H), H, k.Hh, 0f, k.HState.AsSpan(b0 * H), H, 0, H);
        if (cut > b0)
            k.HState.AsSpan(b0 * H, (cut - b0) * H).Clear();
    }

    /// <summary>
    /// Units [j0, j0 + n) of running rows b0 .. b0 + rows − 1 of the step at packed offset o: dPre = (dh + dy) · act'(y).
    /// dh starts at row b0.
    /// </summary>
    private void PreGradient(Cache k, int o, int b0, int rows, ReadOnlySpan<float> dh, float* dy, float* y, int j0, int n)
    {
        for (int b = 0; b < rows; b++)
        {
            long row = o + b0 + b;
            var yRow = new ReadOnlySpan<float>(y + row * H + j0, n);
            Span<float> dPre = k.DPre.AsSpan((int)row * H + j0, n);
            TensorPrimitives.Add(dh.Slice(b * H + j0, n), new ReadOnlySpan<float>(dy + row * H + j0, n), dPre);
            if (relu)
            {
                for (int e = 0; e < n; e++)
                    dPre[e] = yRow[e] > 0f ? dPre[e] : 0f;
            }
            else
            {
                Activations.TanhBackward(yRow, dPre, dPre);
            }
        }
    }

    /// <summary>
    /// One time step split by hidden units over threads (see Lstm.ForwardUnits). Forward: these units of
    /// h · W_hhᵀ added to y and activated. Backward: dh = the previous step's dPre · W_hh for these units
    /// (deferred there), its truncation cut, then dPre = (dh + dy) · act'.
    /// </summary>
    protected override void ForwardUnits(LayerCache cache, in UnitStep step, int j0, int n)
    {
        var k = (Cache)cache;
        var y = new Span<float>(step.Out + (long)step.O * H, step.Bs * H);
        Gemm.Sgemm(step.Bs, 1f, new ReadOnlySpan<float>(step.HIn, step.Bs * H), H, k.HhT, 1f, y, H, j0, n);
        for (int b = 0; b < step.Bs; b++)
        {
            var hNew = y.Slice(b * H + j0, n);
            Activate(hNew);
            hNew.CopyTo(new Span<float>(step.HOut + (long)b * H + j0, n));
        }
    }

    protected override void BackwardUnits(LayerCache cache, in UnitStep step, int j0, int n)
    {
        var k = (Cache)cache;
        Span<float> dh = k.HState;
        if (step.PrevBs > 0)
        {
            Gemm.Sgemm(step.PrevBs, 1f, k.DPre.AsSpan(step.PrevO * H), H, k.Hh, 0f, dh, H, j0, n);
            for (int r = 0; r < step.PrevCut; r++)
                dh.Slice(r * H + j0, n).Clear();
        }
        PreGradient(k, step.O, 0, step.Bs, dh, step.Out, k.Y, j0, n);
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
            BackwardRecurrence(k, batch, dy, truncateBefore, k.Hh.PanelWidth, (long)H * H);
            k.Y = null;
        }
        dh.CopyTo(dh0);

        // Weight gradients of all steps, one GEMM each (dh is in dh0 now: HState is free for the first steps' rows).
        AccumulateWeightGradients(weightIh, weightHh, biasIh, biasHh, batch, k.DPre, k.DPre, x, y, h0, k.HState, dx);
    }

    public override int StepScratchSize(int batch) => batch * H;

    public override StepWeights CreateStepWeights() => new(InputSize, H, H, H, 0);

    /// <summary>One step as Forward computes it: pre = x·W_ihᵀ + (b_ih + b_hh), then += h·W_hhᵀ, then the activation.</summary>
    public override void Step(StepWeights? weights, ReadOnlySpan<float> x, int batch, Span<float> h, Span<float> c, Span<float> y,
        Span<float> scratch)
    {
        if (RepackStepWeights(weights, weightIh, weightHh))
            TensorPrimitives.Add(Parameters.Value(biasIh), Parameters.Value(biasHh), weights!.Bias);
        var w = weights!;
        int B = batch;
        Span<float> pre = scratch[..(B * H)];                     // [B, H]
        StepInputProduct(w, x, B, pre);
        Gemm.Sgemm(B, 1f, h, H, w.Hh, 1f, pre, H);
        Activate(pre);
        pre.CopyTo(h);
        pre.CopyTo(y);
    }
}
