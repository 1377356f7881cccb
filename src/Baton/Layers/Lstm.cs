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

    private sealed class Cache(int h, int s, bool proj) : LayerCache
    {
        public float[] Gates = [];   // [N, 4H] activated gates i, f, g, o
        public float[] C = [];       // [N, H] c after each step
        public float[] CPrev = [];   // [N, H] c before each step
        public float[] HPrev = [];   // [N, S] h before each step (input of the recurrent GEMM)
        public float[] M = [];       // [N, H] o * tanh(c), only with projection
        public float[] DGates = [];  // [N, 4H] gradient of the gate pre-activations (backward)
        public float[] DH = [];      // [N, P] total gradient of h per step, only with projection (backward)
        public float[] HState = [];  // [B, S] running h
        public float[] CState = [];  // [B, H] running c
        public float[] DM = [];      // [B, H] gradient of m at one step, only with projection
        public float[] Bias = [];    // [4H] bias_ih + bias_hh

        protected override void Allocate(int rows, int batch)
        {
            Gates = new float[rows * 4 * h];
            C = new float[rows * h];
            CPrev = new float[rows * h];
            HPrev = new float[rows * s];
            DGates = new float[rows * 4 * h];
            if (proj)
            {
                M = new float[rows * h];
                DH = new float[rows * s];
                DM = new float[batch * h];
            }
            HState = new float[batch * s];
            CState = new float[batch * h];
            Bias = new float[4 * h];
        }
    }

    public override LayerCache CreateCache() => new Cache(H, StateSize, P > 0);

    public override void Forward(LayerCache cache, PackedBatch batch, ReadOnlySpan<float> x,
        ReadOnlySpan<float> h0, ReadOnlySpan<float> c0, Span<float> y, Span<float> hn, Span<float> cn)
    {
        var k = (Cache)cache;
        int N = batch.N, B = batch.B, T = batch.T, I = InputSize, S = StateSize, G4 = 4 * H;
        k.Ensure(N, B);
        ReadOnlySpan<float> wIh = Parameters.Value(weightIh);     // [4H, I]
        ReadOnlySpan<float> wHh = Parameters.Value(weightHh);     // [4H, S]
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
            Gemm.Sgemm(false, true, bs, G4, S, 1f, k.HPrev.AsSpan(o * S), S, wHh, S, 1f, k.Gates.AsSpan(o * G4), G4);
            for (int b = 0; b < bs; b++)
            {
                int row = o + b;
                Span<float> g = k.Gates.AsSpan(row * G4, G4);
                TensorPrimitives.Sigmoid(g[..(2 * H)], g[..(2 * H)]);
                TensorPrimitives.Tanh(g.Slice(2 * H, H), g.Slice(2 * H, H));
                TensorPrimitives.Sigmoid(g.Slice(3 * H, H), g.Slice(3 * H, H));
                Span<float> c = k.CState.AsSpan(b * H, H);
                Span<float> m = P > 0 ? k.M.AsSpan(row * H, H) : k.HState.AsSpan(b * H, H);
                for (int j = 0; j < H; j++)
                {
                    float cj = g[H + j] * c[j] + g[j] * g[2 * H + j];
                    c[j] = cj;
                    m[j] = g[3 * H + j] * MathF.Tanh(cj);
                }
                c.CopyTo(k.C.AsSpan(row * H, H));
                if (P == 0)
                    m.CopyTo(y.Slice(row * S, S));
            }
            if (P > 0)
            {
                // h = m · W_hrᵀ for the running rows.
                Gemm.Sgemm(false, true, bs, P, H, 1f, k.M.AsSpan(o * H), H, Parameters.Value(weightHr!), H, 0f, y.Slice(o * S), S);
                y.Slice(o * S, bs * S).CopyTo(k.HState);
            }
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
        ReadOnlySpan<float> wIh = Parameters.Value(weightIh);     // [4H, I]
        ReadOnlySpan<float> wHh = Parameters.Value(weightHh);     // [4H, S]
        Span<float> dh = k.HState.AsSpan(0, B * S);               // [B, S] gradient of the running h
        Span<float> dc = k.CState.AsSpan(0, B * H);               // [B, H] gradient of the running c
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
                Gemm.Sgemm(false, false, bs, H, P, 1f, dh, S, Parameters.Value(weightHr!), H, 0f, k.DM, H);
                dmAll = k.DM;
            }
            for (int b = 0; b < bs; b++)
            {
                int row = o + b;
                ReadOnlySpan<float> g = k.Gates.AsSpan(row * G4, G4);
                ReadOnlySpan<float> c = k.C.AsSpan(row * H, H);
                ReadOnlySpan<float> cPrev = k.CPrev.AsSpan(row * H, H);
                ReadOnlySpan<float> dm = dmAll.Slice(b * H, H);
                Span<float> dG = k.DGates.AsSpan(row * G4, G4);
                Span<float> dcRow = dc.Slice(b * H, H);
                for (int j = 0; j < H; j++)
                {
                    float i = g[j], f = g[H + j], gg = g[2 * H + j], og = g[3 * H + j];
                    float tc = MathF.Tanh(c[j]);
                    float dcj = dcRow[j] + dm[j] * og * (1f - tc * tc);
                    dG[j] = dcj * gg * i * (1f - i);
                    dG[H + j] = dcj * cPrev[j] * f * (1f - f);
                    dG[2 * H + j] = dcj * i * (1f - gg * gg);
                    dG[3 * H + j] = dm[j] * tc * og * (1f - og);
                    dcRow[j] = dcj * f;
                }
            }
            // dh_prev = dGates · W_hh  ([bs, 4H] · [4H, S]).
            Gemm.Sgemm(false, false, bs, S, G4, 1f, k.DGates.AsSpan(o * G4), G4, wHh, S, 0f, dh, S);
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
        Gemm.Sgemm(true, false, G4, I, N, 1f, k.DGates, G4, x, I, 1f, Parameters.Gradient(weightIh), I);
        Gemm.Sgemm(true, false, G4, S, N, 1f, k.DGates, G4, k.HPrev, S, 1f, Parameters.Gradient(weightHh), S);
        RowMath.AddColumnSums(k.DGates, N, Parameters.Gradient(biasIh));
        RowMath.AddColumnSums(k.DGates, N, Parameters.Gradient(biasHh));
        if (P > 0)
            Gemm.Sgemm(true, false, P, H, N, 1f, k.DH, S, k.M, H, 1f, Parameters.Gradient(weightHr!), H);
        if (!dx.IsEmpty)
            Gemm.Sgemm(false, false, N, I, G4, 1f, k.DGates, G4, wIh, I, 1f, dx, I);
    }

    public override int StepScratchSize(int batch) => batch * 4 * H + batch * H + 4 * H;

    public override void Step(ReadOnlySpan<float> x, int batch, Span<float> h, Span<float> c, Span<float> y, Span<float> scratch)
    {
        int B = batch, I = InputSize, S = StateSize, G4 = 4 * H;
        Span<float> gates = scratch[..(B * G4)];                  // [B, 4H]
        Span<float> mAll = scratch.Slice(B * G4, B * H);          // [B, H]
        Span<float> bias = scratch.Slice(B * G4 + B * H, G4);     // [4H]
        TensorPrimitives.Add(Parameters.Value(biasIh), Parameters.Value(biasHh), bias);
        Gemm.Sgemm(false, true, B, G4, I, 1f, x, I, Parameters.Value(weightIh), I, 0f, gates, G4);
        RowMath.AddBias(gates, B, bias);
        Gemm.Sgemm(false, true, B, G4, S, 1f, h, S, Parameters.Value(weightHh), S, 1f, gates, G4);
        for (int b = 0; b < B; b++)
        {
            Span<float> g = gates.Slice(b * G4, G4);
            TensorPrimitives.Sigmoid(g[..(2 * H)], g[..(2 * H)]);
            TensorPrimitives.Tanh(g.Slice(2 * H, H), g.Slice(2 * H, H));
            TensorPrimitives.Sigmoid(g.Slice(3 * H, H), g.Slice(3 * H, H));
            Span<float> cRow = c.Slice(b * H, H);
            Span<float> m = mAll.Slice(b * H, H);
            for (int j = 0; j < H; j++)
            {
                float cj = g[H + j] * cRow[j] + g[j] * g[2 * H + j];
                cRow[j] = cj;
                m[j] = g[3 * H + j] * MathF.Tanh(cj);
            }
        }
        if (P > 0)
            Gemm.Sgemm(false, true, B, P, H, 1f, mAll, H, Parameters.Value(weightHr!), H, 0f, y, S);
        else
            mAll.CopyTo(y);
        y[..(B * S)].CopyTo(h);
    }
}
