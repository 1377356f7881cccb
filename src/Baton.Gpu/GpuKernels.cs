using ILGPU;
using ILGPU.Algorithms;

namespace Baton.Gpu;

/// <summary>
/// The accelerator kernels (ILGPU compiles them to PTX for CUDA, or runs them on its CPU emulation).
/// All tensors are row-major and time-major: row r = t·B + b.
/// </summary>
internal static class GpuKernels
{
    /// <summary>Output tile of <see cref="Gemm"/>: 64 × 64, by a 16 × 16 group of threads each holding 4 × 4 sums.</summary>
    public const int GemmTile = 64;

    /// <summary>Threads per group of <see cref="Gemm"/>.</summary>
    public const int GemmThreads = 256;

    private const int GemmDepth = 16;

    /// <summary>Largest B·H of <see cref="Sequence"/> (one group of at most 1024 threads, one per output at least).</summary>
    public const int SequenceMaxState = 1024;

    /// <summary>
    /// c[r, j] = bias[j] + Σ_p a[r·lda + p] · w[j·k + p] for r &lt; m, j &lt; n (A W_ᵀ + b, W as PyTorch stores it: [n, k]).
    /// Grid: ⌈m/64⌉·⌈n/64⌉ groups of 256 threads. Thread (tx, ty) owns rows ty + 16i and columns tx + 16j, i, j &lt; 4,
    /// so that shared-memory reads of a warp hit 16 consecutive banks and global stores are coalesced.
    /// </summary>
    public static void Gemm(ArrayView<float> a, int lda, ArrayView<float> w, ArrayView<float> bias, ArrayView<float> c,
        int m, int n, int k)
    {
        var tileA = SharedMemory.Allocate<float>(GemmDepth * GemmTile);   // [p, row]
        var tileW = SharedMemory.Allocate<float>(GemmDepth * GemmTile);   // [p, col]
        int tilesN = (n + GemmTile - 1) / GemmTile;
        int m0 = Grid.IdxX / tilesN * GemmTile;
        int n0 = Grid.IdxX % tilesN * GemmTile;
        int thread = Group.IdxX;
        int tx = thread % 16, ty = thread / 16;
        float c00 = 0, c01 = 0, c02 = 0, c03 = 0, c10 = 0, c11 = 0, c12 = 0, c13 = 0;
        float c20 = 0, c21 = 0, c22 = 0, c23 = 0, c30 = 0, c31 = 0, c32 = 0, c33 = 0;
        for (int k0 = 0; k0 < k; k0 += GemmDepth)
        {
            for (int l = 0; l < GemmTile * GemmDepth / GemmThreads; l++)
            {
                int index = thread + GemmThreads * l;
                int row = index / GemmDepth, p = index % GemmDepth;
                bool inK = k0 + p < k;
                tileA[p * GemmTile + row] = inK && m0 + row < m ? a[(long)(m0 + row) * lda + k0 + p] : 0f;
                tileW[p * GemmTile + row] = inK && n0 + row < n ? w[(long)(n0 + row) * k + k0 + p] : 0f;
            }
            Group.Barrier();
            for (int p = 0; p < GemmDepth; p++)
            {
                float a0 = tileA[p * GemmTile + ty], a1 = tileA[p * GemmTile + ty + 16];
                float a2 = tileA[p * GemmTile + ty + 32], a3 = tileA[p * GemmTile + ty + 48];
                float w0 = tileW[p * GemmTile + tx], w1 = tileW[p * GemmTile + tx + 16];
                float w2 = tileW[p * GemmTile + tx + 32], w3 = tileW[p * GemmTile + tx + 48];
                c00 += a0 * w0; c01 += a0 * w1; c02 += a0 * w2; c03 += a0 * w3;
                c10 += a1 * w0; c11 += a1 * w1; c12 += a1 * w2; c13 += a1 * w3;
                c20 += a2 * w0; c21 += a2 * w1; c22 += a2 * w2; c23 += a2 * w3;
                c30 += a3 * w0; c31 += a3 * w1; c32 += a3 * w2; c33 += a3 * w3;
            }
            Group.Barrier();
        }
        Store(c, bias, m, n, m0 + ty, n0 + tx, c00, c01, c02, c03);
        Store(c, bias, m, n, m0 + ty + 16, n0 + tx, c10, c11, c12, c13);
        Store(c, bias, m, n, m0 + ty + 32, n0 + tx, c20, c21, c22, c23);
        Store(c, bias, m, n, m0 + ty + 48, n0 + tx, c30, c31, c32, c33);
    }

    private static void Store(ArrayView<float> c, ArrayView<float> bias, int m, int n, int row, int col,
        float v0, float v1, float v2, float v3)
    {
        if (row >= m)
            return;
        long at = (long)row * n;
        if (col < n) c[at + col] = v0 + bias[col];
        if (col + 16 < n) c[at + col + 16] = v1 + bias[col + 16];
        if (col + 32 < n) c[at + col + 32] = v2 + bias[col + 32];
        if (col + 48 < n) c[at + col + 48] = v3 + bias[col + 48];
    }

    /// <summary>prev[r] = r &lt; B ? s0[r] : guess[r − B] over rows of width D (index: rows·D elements).</summary>
    public static void Shift(Index1D index, ArrayView<float> guess, ArrayView<float> s0, ArrayView<float> prev, int firstRowElements)
    {
        prev[index] = index < firstRowElements ? s0[index] : guess[index - firstRowElements];
    }

    /// <summary>
    /// GRU cell for every row (index: rows·H), DEER's evaluation of f at the shifted guess:
    /// r = σ(gx_r + gh_r), z = σ(gx_z + gh_z), n = tanh(gx_n + r·gh_n), f = (1 − z) n + z h̄;
    /// jd = ∂f_i/∂h̄_i = z + (h̄ − n) z(1 − z) W_hz[i,i] + (1 − z)(1 − n²)(r W_hn[i,i] + gh_n r(1 − r) W_hr[i,i]);
    /// rhs = f − jd·h̄ (the linearised recurrence's offset); residual = max |guess − f| as float bits (atomic).
    /// </summary>
    public static void GruDeer(Index1D index, ArrayView<float> gx, ArrayView<float> gh, ArrayView<float> prev, ArrayView<float> guess,
        ArrayView<float> diagonal, ArrayView<float> f, ArrayView<float> jd, ArrayView<float> rhs, ArrayView<uint> residual, int H)
    {
        int row = index / H, i = index % H;
        long g = (long)row * 3 * H + i;
        float r = Sigmoid(gx[g] + gh[g]);
        float z = Sigmoid(gx[g + H] + gh[g + H]);
        float ghn = gh[g + 2 * H];
        float nn = XMath.Tanh(gx[g + 2 * H] + r * ghn);
        float h = prev[index];
        float value = (1f - z) * nn + z * h;
        float cn = (1f - z) * (1f - nn * nn);
        float d = z + (h - nn) * z * (1f - z) * diagonal[H + i] + cn * (r * diagonal[2 * H + i] + ghn * r * (1f - r) * diagonal[i]);
        f[index] = value;
        jd[index] = d;
        rhs[index] = value - d * h;
        float miss = XMath.Abs(guess[index] - value);
        Atomic.Max(ref residual[0], miss >= 0f ? Interop.FloatAsInt(miss) : uint.MaxValue);   // NaN counts as the largest miss
    }

    /// <summary>
    /// Time-chunked scan, pass 1 (index: chunks·N): the chunk's composite map h ↦ A h + S over its steps,
    /// A = Π a_t, S = the chunk's scan from zero.
    /// </summary>
    public static void ScanSummary(Index1D index, ArrayView<float> a, ArrayView<float> b, ArrayView<float> chunkA, ArrayView<float> chunkS,
        int T, int N, int length)
    {
        int chunk = index / N, j = index % N;
        int end = XMath.Min(T, (chunk + 1) * length);
        float product = 1f, sum = 0f;
        for (int t = chunk * length; t < end; t++)
        {
            long at = (long)t * N + j;
            sum = a[at] * sum + b[at];
            product *= a[at];
        }
        chunkA[index] = product;
        chunkS[index] = sum;
    }

    /// <summary>Pass 2 (index: N): each chunk's incoming state, start_c = A_{c−1} start_{c−1} + S_{c−1}, start_0 = h0.</summary>
    public static void ScanCarry(Index1D j, ArrayView<float> h0, ArrayView<float> chunkA, ArrayView<float> chunkS, ArrayView<float> start,
        int chunks, int N)
    {
        float h = h0[j];
        for (int c = 0; c < chunks; c++)
        {
            long at = (long)c * N + j;
            start[at] = h;
            h = chunkA[at] * h + chunkS[at];
        }
    }

    /// <summary>Pass 3 (index: chunks·N): h_t = a_t h_{t−1} + b_t within each chunk from its incoming state.</summary>
    public static void ScanApply(Index1D index, ArrayView<float> a, ArrayView<float> b, ArrayView<float> start, ArrayView<float> h,
        int T, int N, int length)
    {
        int chunk = index / N, j = index % N;
        int end = XMath.Min(T, (chunk + 1) * length);
        float state = start[index];
        for (int t = chunk * length; t < end; t++)
        {
            long at = (long)t * N + j;
            state = a[at] * state + b[at];
            h[at] = state;
        }
    }

    /// <summary>
    /// The reverse scan g_t = a_{t+1} g_{t+1} + d_t (g_{T−1} = d_{T−1}) read as a forward scan over s = T − 1 − t, pass 1 (index:
    /// chunks·N): the composite map of chunk c over s in [c·length, (c + 1)·length), with coefficient a_{t+1} (0 at t = T − 1) and
    /// input d_t at step s.
    /// </summary>
    public static void ReverseScanSummary(Index1D index, ArrayView<float> a, ArrayView<float> d, ArrayView<float> chunkA, ArrayView<float> chunkS,
        int T, int N, int length)
    {
        int chunk = index / N, j = index % N;
        int end = XMath.Min(T, (chunk + 1) * length);
        float product = 1f, sum = 0f;
        for (int s = chunk * length; s < end; s++)
        {
            int t = T - 1 - s;
            float coefficient = t + 1 < T ? a[(long)(t + 1) * N + j] : 0f;
            sum = coefficient * sum + d[(long)t * N + j];
            product *= coefficient;
        }
        chunkA[index] = product;
        chunkS[index] = sum;
    }

    /// <summary>The reverse scan, pass 3 (index: chunks·N): g_t = a_{t+1} g_{t+1} + d_t within each chunk from its incoming state; g may alias d.</summary>
    public static void ReverseScanApply(Index1D index, ArrayView<float> a, ArrayView<float> d, ArrayView<float> start, ArrayView<float> g,
        int T, int N, int length)
    {
        int chunk = index / N, j = index % N;
        int end = XMath.Min(T, (chunk + 1) * length);
        float state = start[index];
        for (int s = chunk * length; s < end; s++)
        {
            int t = T - 1 - s;
            float coefficient = t + 1 < T ? a[(long)(t + 1) * N + j] : 0f;
            long at = (long)t * N + j;
            state = coefficient * state + d[at];
            g[at] = state;
        }
    }

    /// <summary>step = trial − state; largest |step| into size[0] as float bits (atomic).</summary>
    public static void StepSize(Index1D index, ArrayView<float> state, ArrayView<float> trial, ArrayView<uint> size)
    {
        float step = XMath.Abs(trial[index] - state[index]);
        Atomic.Max(ref size[0], step >= 0f ? Interop.FloatAsInt(step) : uint.MaxValue);
    }

    /// <summary>trial = state + α (trial − state): the damped Newton step.</summary>
    public static void ScaleStep(Index1D index, ArrayView<float> state, ArrayView<float> trial, float alpha)
    {
        trial[index] = state[index] + alpha * (trial[index] - state[index]);
    }

    /// <summary>Every row of a [rows, N] buffer set to h0 [N] (index: rows·N): DEER's first guess h_t = h0.</summary>
    public static void Broadcast(Index1D index, ArrayView<float> h0, ArrayView<float> state, int N)
    {
        state[index] = h0[index % N];
    }

    /// <summary>
    /// One step of a GRU (<paramref name="lstm"/> = 0) or LSTM (1) with a warp per output (index: B·H·32): lane l sums the
    /// terms k ≡ l (mod 32) of the output's G rows of W_hh [G·H, H] (coalesced), a shuffle reduction adds the lanes, and
    /// lane 0 applies the cell. States are rows of width D (h, then c for an LSTM); gx: this step's [B, G·H].
    /// </summary>
    public static void Step(Index1D index, ArrayView<float> gx, ArrayView<float> whh, ArrayView<float> bhh, ArrayView<float> prev,
        ArrayView<float> next, int H, int D, int lstm)
    {
        int output = index / 32, lane = index % 32;
        int b = output / H, i = output % H;
        RowDots(whh, prev, b * D, H, H, i, lane, 32, lstm, out float s0, out float s1, out float s2, out float s3);
        s0 = LaneSum(s0, 32);
        s1 = LaneSum(s1, 32);
        s2 = LaneSum(s2, 32);
        s3 = LaneSum(s3, 32);
        if (lane != 0)
            return;
        long g = (long)b * (lstm != 0 ? 4 : 3) * H + i;
        if (lstm != 0)
        {
            float c = LstmCell(gx, g, H, s0 + bhh[i], s1 + bhh[H + i], s2 + bhh[2 * H + i], s3 + bhh[3 * H + i], prev[b * D + H + i], out float h);
            next[b * D + i] = h;
            next[b * D + H + i] = c;
        }
        else
        {
            next[b * D + i] = GruCell(gx, g, H, s0 + bhh[i], s1 + bhh[H + i], s2 + bhh[2 * H + i], prev[b * D + i]);
        }
    }

    /// <summary>
    /// The whole sequence in one group of threads, GRU (<paramref name="lstm"/> = 0) or LSTM (1): the state lives in
    /// shared memory (B·D ≤ 2·<see cref="SequenceMaxState"/>), each output is summed by <paramref name="lanes"/> threads
    /// (a power of two ≤ 32) with a segmented shuffle reduction, and each step ends with a group barrier — no launch
    /// between steps, one multiprocessor. states: [T, B, D].
    /// </summary>
    public static void Sequence(ArrayView<float> gx, ArrayView<float> whh, ArrayView<float> bhh, ArrayView<float> s0,
        ArrayView<float> states, int T, int B, int H, int D, int lstm, int lanes)
    {
        var state = SharedMemory.Allocate<float>(2 * SequenceMaxState);
        int width = B * D, outputs = B * H, G = lstm != 0 ? 4 : 3;
        for (int index = Group.IdxX; index < width; index += Group.DimX)
            state[index] = s0[index];
        Group.Barrier();
        int output = Group.IdxX / lanes, lane = Group.IdxX % lanes;
        bool active = output < outputs;
        int b = active ? output / H : 0, i = active ? output % H : 0;
        for (int t = 0; t < T; t++)
        {
            // Inactive threads sum nothing but still join the shuffles, which need every lane of a warp.
            RowDots(whh, state, b * D, H, active ? H : 0, i, lane, lanes, lstm, out float a0, out float a1, out float a2, out float a3);
            a0 = LaneSum(a0, lanes);
            a1 = LaneSum(a1, lanes);
            a2 = LaneSum(a2, lanes);
            a3 = LaneSum(a3, lanes);
            float h = 0f, c = 0f;
            bool writes = active && lane == 0;
            if (writes)
            {
                long g = ((long)t * B + b) * G * H + i;
                if (lstm != 0)
                    c = LstmCell(gx, g, H, a0 + bhh[i], a1 + bhh[H + i], a2 + bhh[2 * H + i], a3 + bhh[3 * H + i], state[b * D + H + i], out h);
                else
                    h = GruCell(gx, g, H, a0 + bhh[i], a1 + bhh[H + i], a2 + bhh[2 * H + i], state[b * D + i]);
            }
            Group.Barrier();
            if (writes)
            {
                long row = (long)t * width + b * D;
                state[b * D + i] = h;
                states[row + i] = h;
                if (lstm != 0)
                {
                    state[b * D + H + i] = c;
                    states[row + H + i] = c;
                }
            }
            Group.Barrier();
        }
    }

    /// <summary>
    /// LSTM cell for every (row, k) (index: rows·H), DEER's evaluation at the shifted guess s̄ = [h̄, c̄] (rows of width 2H):
    /// i, f, o = σ, g = tanh of gx + gh; c' = f c̄ + i g; h' = o tanh c'. The diagonal of the Jacobian:
    /// ∂c'_k/∂c̄_k = f, ∂h'_k/∂h̄_k = a_o W_o[k,k] + o(1 − tanh² c')(a_i W_i[k,k] + a_f W_f[k,k] + a_g W_g[k,k]) with
    /// a_i = g i(1 − i), a_f = c̄ f(1 − f), a_g = i(1 − g²), a_o = tanh c' · o(1 − o); rhs = f(s̄) − jd ⊙ s̄; residual as
    /// <see cref="GruDeer"/>.
    /// </summary>
    public static void LstmDeer(Index1D index, ArrayView<float> gx, ArrayView<float> gh, ArrayView<float> prev, ArrayView<float> guess,
        ArrayView<float> diagonal, ArrayView<float> f, ArrayView<float> jd, ArrayView<float> rhs, ArrayView<uint> residual, int H)
    {
        int row = index / H, k = index % H;
        long g = (long)row * 4 * H + k;
        long hAt = (long)row * 2 * H + k, cAt = hAt + H;
        float ig = Sigmoid(gx[g] + gh[g]);
        float fg = Sigmoid(gx[g + H] + gh[g + H]);
        float gg = XMath.Tanh(gx[g + 2 * H] + gh[g + 2 * H]);
        float og = Sigmoid(gx[g + 3 * H] + gh[g + 3 * H]);
        float h = prev[hAt], c = prev[cAt];
        float cNext = fg * c + ig * gg;
        float tc = XMath.Tanh(cNext);
        float hNext = og * tc;
        float dcdh = gg * ig * (1f - ig) * diagonal[k] + c * fg * (1f - fg) * diagonal[H + k] + ig * (1f - gg * gg) * diagonal[2 * H + k];
        float dh = tc * og * (1f - og) * diagonal[3 * H + k] + og * (1f - tc * tc) * dcdh;
        f[hAt] = hNext;
        f[cAt] = cNext;
        jd[hAt] = dh;
        jd[cAt] = fg;
        rhs[hAt] = hNext - dh * h;
        rhs[cAt] = cNext - fg * c;
        float miss = XMath.Max(XMath.Abs(guess[hAt] - hNext), XMath.Abs(guess[cAt] - cNext));
        Atomic.Max(ref residual[0], miss >= 0f ? Interop.FloatAsInt(miss) : uint.MaxValue);
    }

    /// <summary>y[r, k] = states[r, k] for rows of width D (index: rows·H): h out of [h, c].</summary>
    public static void TakeHidden(Index1D index, ArrayView<float> states, ArrayView<float> y, int H, int D)
    {
        int i = index;
        y[i] = states[(long)(i / H) * D + i % H];
    }

    // This lane's share (terms k ≡ lane mod lanes, k < end ≤ H) of the gate rows i, H + i, 2H + i (and 3H + i for an
    // LSTM) of W_hh [G·H, H] times the state row s[at .. at + H).
    private static void RowDots(ArrayView<float> whh, ArrayView<float> s, int at, int H, int end, int i, int lane, int lanes, int lstm,
        out float a0, out float a1, out float a2, out float a3)
    {
        a0 = a1 = a2 = a3 = 0f;
        for (int k = lane; k < end; k += lanes)
        {
            float v = s[at + k];
            a0 += whh[i * H + k] * v;
            a1 += whh[(H + i) * H + k] * v;
            a2 += whh[(2 * H + i) * H + k] * v;
            if (lstm != 0)
                a3 += whh[(3 * H + i) * H + k] * v;
        }
    }

    // Adds v over each segment of `lanes` consecutive lanes (a power of two ≤ 32) into the segment's first lane.
    private static float LaneSum(float v, int lanes)
    {
        for (int delta = lanes / 2; delta >= 1; delta /= 2)
            v += Warp.ShuffleDown(v, delta, lanes);
        return v;
    }

    private static float GruCell(ArrayView<float> gx, long g, int H, float ghr, float ghz, float ghn, float h)
    {
        float r = Sigmoid(gx[g] + ghr);
        float z = Sigmoid(gx[g + H] + ghz);
        float n = XMath.Tanh(gx[g + 2 * H] + r * ghn);
        return (1f - z) * n + z * h;
    }

    // Returns c' = f c + i g and sets h' = o tanh c'.
    private static float LstmCell(ArrayView<float> gx, long g, int H, float ghi, float ghf, float ghg, float gho, float c, out float h)
    {
        float ig = Sigmoid(gx[g] + ghi);
        float fg = Sigmoid(gx[g + H] + ghf);
        float gg = XMath.Tanh(gx[g + 2 * H] + ghg);
        float og = Sigmoid(gx[g + 3 * H] + gho);
        float cNext = fg * c + ig * gg;
        h = og * XMath.Tanh(cNext);
        return cNext;
    }

    private static float Sigmoid(float v) => 1f / (1f + XMath.Exp(-v));
}
