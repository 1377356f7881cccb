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

    /// <summary>Largest B·H of <see cref="GruSequence"/> (one group of at most 1024 threads keeps the whole state).</summary>
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
    /// One GRU step with a warp per output (index: B·H·32): lane l sums the terms k ≡ l (mod 32) of the three
    /// rows of W_hh [3H, H] (coalesced), a shuffle reduction adds the lanes, and lane 0 applies the cell.
    /// </summary>
    public static void GruStep(Index1D index, ArrayView<float> gx, ArrayView<float> whh, ArrayView<float> bhh, ArrayView<float> hPrev,
        ArrayView<float> h, int H)
    {
        int output = index / 32, lane = index % 32;
        int b = output / H, i = output % H;
        float sr = 0f, sz = 0f, sn = 0f;
        for (int k = lane; k < H; k += 32)
        {
            float v = hPrev[b * H + k];
            sr += whh[i * H + k] * v;
            sz += whh[(H + i) * H + k] * v;
            sn += whh[(2 * H + i) * H + k] * v;
        }
        for (int delta = 16; delta >= 1; delta /= 2)
        {
            sr += Warp.ShuffleDown(sr, delta);
            sz += Warp.ShuffleDown(sz, delta);
            sn += Warp.ShuffleDown(sn, delta);
        }
        if (lane == 0)
            h[output] = GruCell(gx, (long)b * 3 * H + i, H, sr + bhh[i], sz + bhh[H + i], sn + bhh[2 * H + i], hPrev[output]);
    }

    /// <summary>
    /// The whole sequence in one group of threads: the state lives in shared memory (B·H ≤ <see cref="SequenceMaxState"/>),
    /// each output is summed by <paramref name="lanes"/> threads (a power of two ≤ 32) with a segmented shuffle
    /// reduction, and each step ends with a group barrier — no launch between steps, one multiprocessor. y: [T, B, H].
    /// </summary>
    public static void GruSequence(ArrayView<float> gx, ArrayView<float> whh, ArrayView<float> bhh, ArrayView<float> h0,
        ArrayView<float> y, int T, int B, int H, int lanes)
    {
        var state = SharedMemory.Allocate<float>(SequenceMaxState);
        int width = B * H;
        for (int index = Group.IdxX; index < width; index += Group.DimX)
            state[index] = h0[index];
        Group.Barrier();
        int output = Group.IdxX / lanes, lane = Group.IdxX % lanes;
        bool active = output < width;
        int b = active ? output / H : 0, i = active ? output % H : 0;
        for (int t = 0; t < T; t++)
        {
            float sr = 0f, sz = 0f, sn = 0f;
            if (active)
            {
                for (int k = lane; k < H; k += lanes)
                {
                    float v = state[b * H + k];
                    sr += whh[i * H + k] * v;
                    sz += whh[(H + i) * H + k] * v;
                    sn += whh[(2 * H + i) * H + k] * v;
                }
            }
            for (int delta = lanes / 2; delta >= 1; delta /= 2)
            {
                sr += Warp.ShuffleDown(sr, delta, lanes);
                sz += Warp.ShuffleDown(sz, delta, lanes);
                sn += Warp.ShuffleDown(sn, delta, lanes);
            }
            float next = 0f;
            if (active && lane == 0)
                next = GruCell(gx, ((long)t * B + b) * 3 * H + i, H, sr + bhh[i], sz + bhh[H + i], sn + bhh[2 * H + i], state[output]);
            Group.Barrier();
            if (active && lane == 0)
            {
                state[output] = next;
                y[(long)t * width + output] = next;
            }
            Group.Barrier();
        }
    }

    private static float GruCell(ArrayView<float> gx, long g, int H, float ghr, float ghz, float ghn, float h)
    {
        float r = Sigmoid(gx[g] + ghr);
        float z = Sigmoid(gx[g + H] + ghz);
        float n = XMath.Tanh(gx[g + 2 * H] + r * ghn);
        return (1f - z) * n + z * h;
    }

    private static float Sigmoid(float v) => 1f / (1f + XMath.Exp(-v));
}
