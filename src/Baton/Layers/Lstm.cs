using System.Numerics.Tensors;
using Baton.Numerics;

namespace Baton.Layers;

/// <summary>
/// One LSTM layer-direction, PyTorch's equations and gate order (i, f, g, o):
/// i = σ(W_ii x + b_ii + W_hi h + b_hi), f = σ(...), g = tanh(...), o = σ(...),
/// c' = f * c + i * g, m = o * tanh(c'), h' = m, or h' = W_hr m when proj_size P &gt; 0.
/// Tensors: weight_ih [4H, I], weight_hh [4H, S], bias_ih [4H], bias_hh [4H], weight_hr [P, H]; S = P or H.
/// </summary>
internal sealed class Lstm : RecurrentLayer
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
        public float[] Gates = [];   // [N, 4H] activated gates i, f, g, o
        public float[] TanhC = [];   // [N, H] tanh(c) after each step
        public float[] CPrev = [];   // [N, H] c before each step
        public float[] HPrev = [];   // [N, S] h before each step (input of the recurrent GEMM)
        public float[] M = [];       // [N, H] o * tanh(c), only with projection
        public float[] DGates = [];  // [N, 4H] gradient of the gate pre-activations (backward)
        public float[] DH = [];      // [N, P] total gradient of h per step, only with projection (backward)
        public float[] HState = [];  // [B, S] running h (dh in backward)
        public float[] CState = [];  // [B, H] running c (dc in backward)
        public float[] DM = [];      // [B, H] gradient of m at one step, only with projection
        public readonly float[] Bias = new float[4 * h];  // [4H] bias_ih + bias_hh
        public readonly float[] Tmp = new float[h];       // [H] scratch of one row
        public readonly PackedMatrix HhT = new(s, 4 * h);  // W_hhᵀ [S, 4H], forward recurrent product
        public readonly PackedMatrix Hh = new(4 * h, s);   // W_hh [4H, S], backward recurrent product
        public readonly PackedMatrix? HrT = p > 0 ? new(h, p) : null;  // W_hrᵀ [H, P]
        public readonly PackedMatrix? Hr = p > 0 ? new(p, h) : null;   // W_hr [P, H]

        protected override void Allocate(int rows, int batch)
        {
            Gates = new float[rows * 4 * h];
            TanhC = new float[rows * h];
            CPrev = new float[rows * h];
            HPrev = new float[rows * s];
            DGates = new float[rows * 4 * h];
            if (p > 0)
            {
                M = new float[rows * h];
                DH = new float[rows * s];
                DM = new float[batch * h];
            }
            HState = new float[batch * s];
            CState = new float[batch * h];
        }
    }

    public override LayerCache CreateCache() => new Cache(H, StateSize, P);

    /// <summary>One row of the cell: g [4H] pre-activations in, activated out; c [H] updated; tanhC, m [H] out.</summary>
    private void CellForward(Span<float> g, Span<float> c, Span<float> tanhC, Span<float> m, Span<float> tmp)
    {
        Span<float> i = g[..H], f = g.Slice(H, H), gg = g.Slice(2 * H, H), o = g.Slice(3 * H, H);
        Activations.Sigmoid(g[..(2 * H)], g[..(2 * H)]);
        Activations.Tanh(gg, gg);
        Activations.Sigmoid(o, o);
        TensorPrimitives.Multiply(i, gg, tmp);
        TensorPrimitives.FusedMultiplyAdd(f, c, tmp, c);
        Activations.Tanh(c, tanhC);
        TensorPrimitives.Multiply(o, tanhC, m);
    }

    public override void Forward(LayerCache cache, PackedBatch batch, ReadOnlySpan<float> x,
        ReadOnlySpan<float> h0, ReadOnlySpan<float> c0, Span<float> y, Span<float> hn, Span<float> cn)
    {
        var k = (Cache)cache;
        int N = batch.N, B = batch.B, T = batch.T, I = InputSize, S = StateSize, G4 = 4 * H;
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
        for (int s = 0; s < T; s++)
        {
            int t = Reverse ? T - 1 - s : s;
            int bs = batch.BatchSizes[t];
            if (bs == 0)
                continue;
            int o = batch.Offsets[t];
            k.HState.AsSpan(0, bs * S).CopyTo(k.HPrev.AsSpan(o * S));
            k.CState.AsSpan(0, bs * H).CopyTo(k.CPrev.AsSpan(o * H));
            // Recurrent GEMM for this step: Gates[o.., :] += HPrev · W_hhᵀ.
            Gemm.Sgemm(bs, 1f, k.HPrev.AsSpan(o * S), S, k.HhT, 1f, k.Gates.AsSpan(o * G4), G4);
            for (int b = 0; b < bs; b++)
            {
                int row = o + b;
                Span<float> m = P > 0 ? k.M.AsSpan(row * H, H) : y.Slice(row * S, S);
                CellForward(k.Gates.AsSpan(row * G4, G4), k.CState.AsSpan(b * H, H), k.TanhC.AsSpan(row * H, H), m, k.Tmp);
            }
            // h = m, or m · W_hrᵀ, for the running rows.
            if (P > 0)
                Gemm.Sgemm(bs, 1f, k.M.AsSpan(o * H), H, k.HrT!, 0f, y.Slice(o * S), S);
            y.Slice(o * S, bs * S).CopyTo(k.HState);
        }
        k.HState.AsSpan(0, B * S).CopyTo(hn);
        k.CState.AsSpan(0, B * H).CopyTo(cn);
    }

    public override void Backward(LayerCache cache, PackedBatch batch, ReadOnlySpan<float> x, ReadOnlySpan<float> y,
        ReadOnlySpan<float> dy, ReadOnlySpan<float> dhn, ReadOnlySpan<float> dcn,
        Span<float> dx, Span<float> dh0, Span<float> dc0, int truncateBefore)
    {
        var k = (Cache)cache;
        int N = batch.N, B = batch.B, T = batch.T, I = InputSize, S = StateSize, G4 = 4 * H;
        k.Hh.Pack(Parameters.Value(weightHh), S, transB: false);
        if (P > 0)
            k.Hr!.Pack(Parameters.Value(weightHr!), H, transB: false);
        Span<float> dh = k.HState.AsSpan(0, B * S);               // [B, S] gradient of the running h
        Span<float> dc = k.CState.AsSpan(0, B * H);               // [B, H] gradient of the running c
        Span<float> tmp = k.Tmp;
        dhn[..(B * S)].CopyTo(dh);
        dcn[..(B * H)].CopyTo(dc);
        for (int s = T - 1; s >= 0; s--)
        {
            int t = Reverse ? T - 1 - s : s;
            int bs = batch.BatchSizes[t];
            if (bs == 0)
                continue;
            int o = batch.Offsets[t];
            TensorPrimitives.Add(dh[..(bs * S)], dy.Slice(o * S, bs * S), dh[..(bs * S)]);
            ReadOnlySpan<float> dmAll = dh;
            if (P > 0)
            {
                dh[..(bs * S)].CopyTo(k.DH.AsSpan(o * S));
                // dm = dh · W_hr  ([bs, P] · [P, H]).
                Gemm.Sgemm(bs, 1f, dh, S, k.Hr!, 0f, k.DM, H);
                dmAll = k.DM;
            }
            for (int b = 0; b < bs; b++)
            {
                int row = o + b;
                ReadOnlySpan<float> g = k.Gates.AsSpan(row * G4, G4);
                ReadOnlySpan<float> i = g[..H], f = g.Slice(H, H), gg = g.Slice(2 * H, H), og = g.Slice(3 * H, H);
                ReadOnlySpan<float> tc = k.TanhC.AsSpan(row * H, H);
                ReadOnlySpan<float> dm = dmAll.Slice(b * H, H);
                Span<float> dG = k.DGates.AsSpan(row * G4, G4);
                Span<float> dcRow = dc.Slice(b * H, H);
                TensorPrimitives.Multiply(dm, og, tmp);
                Activations.TanhBackward(tc, tmp, tmp);
                TensorPrimitives.Add(dcRow, tmp, dcRow);                          // dc = dc_next + dm * o * (1 - tanh²c)
                TensorPrimitives.Multiply(dm, tc, tmp);
                Activations.SigmoidBackward(og, tmp, dG.Slice(3 * H, H));          // d o
                TensorPrimitives.Multiply(dcRow, gg, tmp);
                Activations.SigmoidBackward(i, tmp, dG[..H]);                      // d i
                TensorPrimitives.Multiply(dcRow, k.CPrev.AsSpan(row * H, H), tmp);
                Activations.SigmoidBackward(f, tmp, dG.Slice(H, H));               // d f
                TensorPrimitives.Multiply(dcRow, i, tmp);
                Activations.TanhBackward(gg, tmp, dG.Slice(2 * H, H));             // d g
                TensorPrimitives.Multiply(dcRow, f, dcRow);                        // dc_prev = dc * f
            }
            // dh_prev = dGates · W_hh  ([bs, 4H] · [4H, S]).
            Gemm.Sgemm(bs, 1f, k.DGates.AsSpan(o * G4), G4, k.Hh, 0f, dh, S);
            if (IsCut(t, truncateBefore))
            {
                int rows = CutRows(batch, t, Reverse);
                dh[..(rows * S)].Clear();
                dc[..(rows * H)].Clear();
            }
        }
        dh.CopyTo(dh0);
        dc.CopyTo(dc0);

        // Weight gradients of all steps, one GEMM each.
        AccumulateWeightGradients(weightIh, weightHh, biasIh, biasHh, N, k.DGates, k.DGates, x, k.HPrev, dx);
        if (P > 0)
            Gemm.Sgemm(true, false, P, H, N, 1f, k.DH, S, k.M, H, 1f, Parameters.Gradient(weightHr!), H);
    }

    public override int StepScratchSize(int batch) => batch * 4 * H + 2 * batch * H + 5 * H;

    public override void Step(ReadOnlySpan<float> x, int batch, Span<float> h, Span<float> c, Span<float> y, Span<float> scratch)
    {
        int B = batch, I = InputSize, S = StateSize, G4 = 4 * H;
        Span<float> gates = scratch[..(B * G4)];                         // [B, 4H]
        Span<float> mAll = scratch.Slice(B * G4, B * H);                 // [B, H]
        Span<float> tanhC = scratch.Slice(B * G4 + B * H, B * H);        // [B, H]
        Span<float> bias = scratch.Slice(B * G4 + 2 * B * H, G4);        // [4H]
        Span<float> tmp = scratch.Slice(B * G4 + 2 * B * H + G4, H);     // [H]
        TensorPrimitives.Add(Parameters.Value(biasIh), Parameters.Value(biasHh), bias);
        MatVec.MultiplyAdd(Parameters.Value(weightIh), I, x, Parameters.Value(weightHh), S, h, bias, G4, B, gates, G4);
        for (int b = 0; b < B; b++)
            CellForward(gates.Slice(b * G4, G4), c.Slice(b * H, H), tanhC.Slice(b * H, H), mAll.Slice(b * H, H), tmp);
        if (P > 0)
            MatVec.Multiply(Parameters.Value(weightHr!), P, H, mAll, B, y, S, accumulate: false);
        else
            mAll.CopyTo(y);
        y[..(B * S)].CopyTo(h);
    }
}
