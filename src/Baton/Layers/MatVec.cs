using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;
using Baton.Numerics;

namespace Baton.Layers;

/// <summary>
/// Products of row-major weights with a few vectors, y[b, r] = bias[r] + Σ_k W[r, k] · x[b, k], for streaming steps
/// where the batch is too small for a packed GEMM to pay off: each weight row is read once per call, straight from
/// the PyTorch layout (nothing to repack when the weights change).
/// <para>
/// The Vector512 / Vector256 paths take 16 / 8 rows at a time, one accumulator per row, and finish with a
/// transpose-and-add tree that leaves the block's row sums in one vector: at batch 1 with short rows the horizontal
/// sums, not the multiply-adds, were the cost. Each y[b, r] is computed the same way whatever the thread count and
/// whichever block holds row r: lane partial sums over k in ascending vector chunks (first operand, then second), the
/// fixed reduction tree, the tails in ascending k, then + bias, then + y when accumulating.
/// </para>
/// </summary>
internal static unsafe class MatVec
{
    /// <summary>
    /// y[b, r] = Σ_k w[r, k] · x[b, k] (or += when <paramref name="accumulate"/>) for r in [0, rows), b in [0, batch).
    /// w: [rows, cols]; x: [batch, cols]; y: [batch, ldy].
    /// </summary>
    public static void Multiply(ReadOnlySpan<float> w, int rows, int cols, ReadOnlySpan<float> x, int batch,
        Span<float> y, int ldy, bool accumulate) =>
        Multiply(SimdPaths.Best, Threads.Count, w, rows, cols, x, batch, y, ldy, accumulate);

    /// <summary>
    /// y[b, r] = bias[r] + Σ_k wA[r, k] · xA[b, k] + Σ_k wB[r, k] · xB[b, k]: both products of a recurrent step in
    /// one pass. wA: [rows, colsA]; xA: [batch, colsA]; wB: [rows, colsB]; xB: [batch, colsB]; bias: [rows];
    /// y: [batch, ldy].
    /// </summary>
    public static void MultiplyAdd(ReadOnlySpan<float> wA, int colsA, ReadOnlySpan<float> xA,
        ReadOnlySpan<float> wB, int colsB, ReadOnlySpan<float> xB, ReadOnlySpan<float> bias, int rows, int batch,
        Span<float> y, int ldy) =>
        MultiplyAdd(SimdPaths.Best, Threads.Count, wA, colsA, xA, wB, colsB, xB, bias, rows, batch, y, ldy);

    /// <summary>
    /// Two independent products in one pass over the threads: yA[b, r] = biasA[r] + Σ_k wA[r, k] · xA[b, k] and
    /// yB[b, r] = Σ_k wB[r, k] · xB[b, k]. wA: [rows, colsA]; wB: [rows, colsB]; yA, yB: [batch, rows].
    /// </summary>
    public static void MultiplyPair(ReadOnlySpan<float> wA, int colsA, ReadOnlySpan<float> xA, ReadOnlySpan<float> biasA,
        Span<float> yA, ReadOnlySpan<float> wB, int colsB, ReadOnlySpan<float> xB, Span<float> yB, int rows, int batch) =>
        MultiplyPair(SimdPaths.Best, Threads.Count, wA, colsA, xA, biasA, yA, wB, colsB, xB, yB, rows, batch);

    /// <summary><see cref="Multiply(ReadOnlySpan{float}, int, int, ReadOnlySpan{float}, int, Span{float}, int, bool)"/> on a chosen path and thread count (tests).</summary>
    internal static void Multiply(SimdPath path, int threads, ReadOnlySpan<float> w, int rows, int cols,
        ReadOnlySpan<float> x, int batch, Span<float> y, int ldy, bool accumulate)
    {
        CheckProduct(w, rows, cols, x, batch, nameof(w), nameof(x));
        CheckOutput(y, rows, batch, ldy, nameof(y));
        fixed (float* pw = w, px = x, py = y)
        {
            var product = new Product(pw, cols, px, null, 0, null, null, py, ldy, accumulate);
            Run(path, threads, rows, batch, product, default, pairs: 1);
        }
    }

    /// <summary><see cref="MultiplyAdd(ReadOnlySpan{float}, int, ReadOnlySpan{float}, ReadOnlySpan{float}, int, ReadOnlySpan{float}, ReadOnlySpan{float}, int, int, Span{float}, int)"/> on a chosen path and thread count (tests).</summary>
    internal static void MultiplyAdd(SimdPath path, int threads, ReadOnlySpan<float> wA, int colsA, ReadOnlySpan<float> xA,
        ReadOnlySpan<float> wB, int colsB, ReadOnlySpan<float> xB, ReadOnlySpan<float> bias, int rows, int batch,
        Span<float> y, int ldy)
    {
        CheckProduct(wA, rows, colsA, xA, batch, nameof(wA), nameof(xA));
        CheckProduct(wB, rows, colsB, xB, batch, nameof(wB), nameof(xB));
        CheckBias(bias, rows, nameof(bias));
        CheckOutput(y, rows, batch, ldy, nameof(y));
        fixed (float* pwA = wA, pxA = xA, pwB = wB, pxB = xB, pb = bias, py = y)
        {
            var product = new Product(pwA, colsA, pxA, pwB, colsB, pxB, pb, py, ldy, accumulate: false);
            Run(path, threads, rows, batch, product, default, pairs: 1);
        }
    }

    /// <summary><see cref="MultiplyPair(ReadOnlySpan{float}, int, ReadOnlySpan{float}, ReadOnlySpan{float}, Span{float}, ReadOnlySpan{float}, int, ReadOnlySpan{float}, Span{float}, int, int)"/> on a chosen path and thread count (tests).</summary>
    internal static void MultiplyPair(SimdPath path, int threads, ReadOnlySpan<float> wA, int colsA, ReadOnlySpan<float> xA,
        ReadOnlySpan<float> biasA, Span<float> yA, ReadOnlySpan<float> wB, int colsB, ReadOnlySpan<float> xB, Span<float> yB,
        int rows, int batch)
    {
        CheckProduct(wA, rows, colsA, xA, batch, nameof(wA), nameof(xA));
        CheckProduct(wB, rows, colsB, xB, batch, nameof(wB), nameof(xB));
        CheckBias(biasA, rows, nameof(biasA));
        CheckOutput(yA, rows, batch, rows, nameof(yA));
        CheckOutput(yB, rows, batch, rows, nameof(yB));
        fixed (float* pwA = wA, pxA = xA, pb = biasA, pyA = yA, pwB = wB, pxB = xB, pyB = yB)
        {
            var first = new Product(pwA, colsA, pxA, null, 0, null, pb, pyA, rows, accumulate: false);
            var second = new Product(pwB, colsB, pxB, null, 0, null, null, pyB, rows, accumulate: false);
            Run(path, threads, rows, batch, first, second, pairs: 2);
        }
    }

    private static void CheckProduct(ReadOnlySpan<float> w, int rows, int cols, ReadOnlySpan<float> x, int batch, string wName, string xName)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(rows);
        ArgumentOutOfRangeException.ThrowIfNegative(cols);
        ArgumentOutOfRangeException.ThrowIfNegative(batch);
        if (w.Length < (long)rows * cols)
            throw new ArgumentException($"{wName} has {w.Length} values; expected at least {rows}*{cols}.", wName);
        if (x.Length < (long)batch * cols)
            throw new ArgumentException($"{xName} has {x.Length} values; expected at least {batch}*{cols}.", xName);
    }

    private static void CheckBias(ReadOnlySpan<float> bias, int rows, string name)
    {
        if (bias.Length < rows)
            throw new ArgumentException($"{name} has {bias.Length} values; expected at least {rows}.", name);
    }

    private static void CheckOutput(Span<float> y, int rows, int batch, int ldy, string name)
    {
        if (batch > 0 && (ldy < rows || y.Length < (long)(batch - 1) * ldy + rows))
            throw new ArgumentException($"{name} is too short for {batch} rows of {rows} with stride {ldy}.", name);
    }

    /// <summary>
    /// Multiply-adds per part below which a product stays on fewer threads. Waking a spinning worker costs about a
    /// microsecond; LSTM 128's step product (512 × 256 = 2¹⁷) took about 6 µs on one core here and under 4 µs on two,
    /// each core then reading its half of the weights from its own L2.
    /// </summary>
    private const long ParallelThreshold = 1 << 15;

    [ThreadStatic] private static Work? work;

    private static void Run(SimdPath path, int threads, int rows, int batch, in Product first, in Product second, int pairs)
    {
        if (rows == 0 || batch == 0)
            return;
        long madds = (long)rows * batch * (first.ColsA + first.ColsB + second.ColsA + second.ColsB);
        int blocks = (rows + BlockRows - 1) / BlockRows * pairs;
        int parts = (int)Math.Clamp(Math.Min(threads, madds / ParallelThreshold), 1, blocks);
        if (parts == 1)
        {
            Rows(path, first, 0, rows, batch);
            if (pairs == 2)
                Rows(path, second, 0, rows, batch);
            return;
        }
        var job = work ??= new Work();
        job.Set(path, rows, batch, first, second, pairs);
        WorkerPool.Shared.Run(job, parts);
    }

    /// <summary>Row granularity of the thread split: one Vector512 block, so no part ends mid-block on any path.</summary>
    private const int BlockRows = 16;

    /// <summary>y (+)= bias + wA · xA + wB · xB, as raw pointers (a null weight is absent or empty; a null bias is none).</summary>
    private readonly struct Product(float* wA, int colsA, float* xA, float* wB, int colsB, float* xB, float* bias,
        float* y, int ldy, bool accumulate)
    {
        public readonly float* WA = wA, XA = xA, WB = wB, XB = xB, Bias = bias, Y = y;
        public readonly int ColsA = colsA, ColsB = colsB, Ldy = ldy;
        public readonly bool Accumulate = accumulate;
    }

    /// <summary>Splits the row blocks of one or two products into contiguous ranges, one per part.</summary>
    private sealed class Work : IParallelWork
    {
        private SimdPath path;
        private int rows, batch, pairs;
        private Product first, second;

        public void Set(SimdPath path, int rows, int batch, in Product first, in Product second, int pairs)
        {
            this.path = path;
            this.rows = rows;
            this.batch = batch;
            this.first = first;
            this.second = second;
            this.pairs = pairs;
        }

        public void Execute(int index, int count)
        {
            // Blocks of the first product come first, then those of the second.
            int perProduct = (rows + BlockRows - 1) / BlockRows;
            int total = perProduct * pairs;
            int b0 = (int)((long)total * index / count), b1 = (int)((long)total * (index + 1) / count);
            for (int p = 0; p < pairs; p++)
            {
                int lo = Math.Max(b0, p * perProduct) - p * perProduct, hi = Math.Min(b1, (p + 1) * perProduct) - p * perProduct;
                if (lo < hi)
                    Rows(path, p == 0 ? first : second, lo * BlockRows, Math.Min(rows, hi * BlockRows), batch);
            }
        }
    }

    private static void Rows(SimdPath path, in Product p, int r0, int r1, int batch)
    {
        if (path == SimdPath.Vector512 && Avx512F.IsSupported)
            Rows512(p, r0, r1, batch);
        else if (path == SimdPath.Vector256 && Avx.IsSupported)
            Rows256(p, r0, r1, batch);
        else if (path == SimdPath.Vector128)
            Kernel<Simd128, Vector128<float>>(p, r0, r1, batch);
        else
            Kernel<SimdScalar, float>(p, r0, r1, batch);
    }

    /// <summary>Rows [r0, r1) in blocks of 16; a short last block repeats its last row (read, never stored).</summary>
    private static void Rows512(in Product p, int r0, int r1, int batch)
    {
        const int R = 16;
        float* sums = stackalloc float[R];
        bool tails = p.ColsA % R != 0 || p.ColsB % R != 0;
        // Rows off the 64-byte grid make every load straddle two cache lines, which halves the rate from L2; when all
        // rows share one offset, aligned loads and a two-source permute give the same vectors.
        bool shift = !tails && (((nint)p.WA | (nint)p.WB) & 63) != 0;
        for (int r = r0; r < r1; r += R)
        {
            int n = Math.Min(R, r1 - r);
            for (int b = 0; b < batch; b++)
            {
                var s = shift ? Block512<ShiftedLoad>(p, r, n, b) : Block512<DirectLoad>(p, r, n, b);
                float* y = p.Y + (long)b * p.Ldy + r;
                if (n == R && !tails)
                {
                    if (p.Bias != null)
                        s += Vector512.Load(p.Bias + r);
                    if (p.Accumulate)
                        s = Vector512.Load(y) + s;
                    s.Store(y);
                }
                else
                {
                    s.Store(sums);
                    Finish(p, r, n, b, sums, y, R);
                }
            }
        }
    }

    /// <summary>Rows [r0, r1) in blocks of 8, as <see cref="Rows512"/>.</summary>
    private static void Rows256(in Product p, int r0, int r1, int batch)
    {
        const int R = 8;
        float* sums = stackalloc float[R];
        bool tails = p.ColsA % R != 0 || p.ColsB % R != 0;
        for (int r = r0; r < r1; r += R)
        {
            int n = Math.Min(R, r1 - r);
            for (int b = 0; b < batch; b++)
            {
                var s = Block256(p, r, n, b);
                float* y = p.Y + (long)b * p.Ldy + r;
                if (n == R && !tails)
                {
                    if (p.Bias != null)
                        s += Vector256.Load(p.Bias + r);
                    if (p.Accumulate)
                        s = Vector256.Load(y) + s;
                    s.Store(y);
                }
                else
                {
                    s.Store(sums);
                    Finish(p, r, n, b, sums, y, R);
                }
            }
        }
    }

    /// <summary>
    /// The scalar end of a block with column tails or fewer rows than lanes: the vector end's operations in the same
    /// order, after the columns past the last whole vector (first operand, then second, ascending k).
    /// </summary>
    private static void Finish(in Product p, int r, int n, int b, float* sums, float* y, int lanes)
    {
        int kA = p.ColsA - p.ColsA % lanes, kB = p.ColsB - p.ColsB % lanes;
        float* xA = p.XA + (long)b * p.ColsA, xB = p.XB + (long)b * p.ColsB;
        for (int j = 0; j < n; j++)
        {
            float s = sums[j];
            float* wA = p.WA + (long)(r + j) * p.ColsA;
            for (int k = kA; k < p.ColsA; k++)
                s += wA[k] * xA[k];
            float* wB = p.WB + (long)(r + j) * p.ColsB;
            for (int k = kB; k < p.ColsB; k++)
                s += wB[k] * xB[k];
            if (p.Bias != null)
                s += p.Bias[r + j];
            y[j] = p.Accumulate ? y[j] + s : s;
        }
    }

    /// <summary>
    /// Lane partial sums of rows r .. r + 15 for stream b (rows from n on repeat row r + n - 1) over the whole vectors
    /// of k, first operand then second into the same accumulators, transposed and added so that lane j holds row
    /// r + j's sum.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Block512<TLoad>(in Product p, int r, int n, int b)
        where TLoad : IRowLoad
    {
        var a0 = Vector512<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0; var a4 = a0; var a5 = a0; var a6 = a0; var a7 = a0;
        var a8 = a0; var a9 = a0; var a10 = a0; var a11 = a0; var a12 = a0; var a13 = a0; var a14 = a0; var a15 = a0;
        for (int operand = 0; operand < 2; operand++)
        {
            long c = operand == 0 ? p.ColsA : p.ColsB;
            float* w = operand == 0 ? p.WA : p.WB;
            if (w == null)
                continue; // no second operand, or an empty one
            w += r * c;
            float* x = (operand == 0 ? p.XA : p.XB) + b * c;
            int m = TLoad.Shifted ? (int)(((nint)w >> 2) & 15) : 0;  // the rows' offset from the grid, in floats
            w -= m;
            long next = m == 0 ? 0 : 16;
            var index = Vector512.Create(m) + Vector512.Create(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
            float* w0 = w, w1 = w + Math.Min(1, n - 1) * c, w2 = w + Math.Min(2, n - 1) * c, w3 = w + Math.Min(3, n - 1) * c;
            float* w4 = w + Math.Min(4, n - 1) * c, w5 = w + Math.Min(5, n - 1) * c, w6 = w + Math.Min(6, n - 1) * c, w7 = w + Math.Min(7, n - 1) * c;
            float* w8 = w + Math.Min(8, n - 1) * c, w9 = w + Math.Min(9, n - 1) * c, w10 = w + Math.Min(10, n - 1) * c, w11 = w + Math.Min(11, n - 1) * c;
            float* w12 = w + Math.Min(12, n - 1) * c, w13 = w + Math.Min(13, n - 1) * c, w14 = w + Math.Min(14, n - 1) * c, w15 = w + Math.Min(15, n - 1) * c;
            long kv = c - c % 16, k = 0;
            // Two windows per pass: the shifted loads then share the line between them.
            for (; k + 32 <= kv; k += 32)
            {
                var x0 = Vector512.Load(x + k);
                var x1 = Vector512.Load(x + k + 16);
                a0 = TLoad.Window2(w0 + k, next, index, x0, x1, a0);
                a1 = TLoad.Window2(w1 + k, next, index, x0, x1, a1);
                a2 = TLoad.Window2(w2 + k, next, index, x0, x1, a2);
                a3 = TLoad.Window2(w3 + k, next, index, x0, x1, a3);
                a4 = TLoad.Window2(w4 + k, next, index, x0, x1, a4);
                a5 = TLoad.Window2(w5 + k, next, index, x0, x1, a5);
                a6 = TLoad.Window2(w6 + k, next, index, x0, x1, a6);
                a7 = TLoad.Window2(w7 + k, next, index, x0, x1, a7);
                a8 = TLoad.Window2(w8 + k, next, index, x0, x1, a8);
                a9 = TLoad.Window2(w9 + k, next, index, x0, x1, a9);
                a10 = TLoad.Window2(w10 + k, next, index, x0, x1, a10);
                a11 = TLoad.Window2(w11 + k, next, index, x0, x1, a11);
                a12 = TLoad.Window2(w12 + k, next, index, x0, x1, a12);
                a13 = TLoad.Window2(w13 + k, next, index, x0, x1, a13);
                a14 = TLoad.Window2(w14 + k, next, index, x0, x1, a14);
                a15 = TLoad.Window2(w15 + k, next, index, x0, x1, a15);
            }
            for (; k < kv; k += 16)
            {
                var xv = Vector512.Load(x + k);
                a0 = TLoad.Window(w0 + k, next, index, xv, a0);
                a1 = TLoad.Window(w1 + k, next, index, xv, a1);
                a2 = TLoad.Window(w2 + k, next, index, xv, a2);
                a3 = TLoad.Window(w3 + k, next, index, xv, a3);
                a4 = TLoad.Window(w4 + k, next, index, xv, a4);
                a5 = TLoad.Window(w5 + k, next, index, xv, a5);
                a6 = TLoad.Window(w6 + k, next, index, xv, a6);
                a7 = TLoad.Window(w7 + k, next, index, xv, a7);
                a8 = TLoad.Window(w8 + k, next, index, xv, a8);
                a9 = TLoad.Window(w9 + k, next, index, xv, a9);
                a10 = TLoad.Window(w10 + k, next, index, xv, a10);
                a11 = TLoad.Window(w11 + k, next, index, xv, a11);
                a12 = TLoad.Window(w12 + k, next, index, xv, a12);
                a13 = TLoad.Window(w13 + k, next, index, xv, a13);
                a14 = TLoad.Window(w14 + k, next, index, xv, a14);
                a15 = TLoad.Window(w15 + k, next, index, xv, a15);
            }
        }
        // Each level halves the vectors and doubles the rows per vector: 4 rows per 128-bit lane after two levels,
        // then the lanes are gathered so that vector lane j ends as row j's sum.
        var u0 = Quad(a0, a1, a2, a3);
        var u1 = Quad(a4, a5, a6, a7);
        var u2 = Quad(a8, a9, a10, a11);
        var u3 = Quad(a12, a13, a14, a15);
        var v0 = Avx512F.Shuffle4x128(u0, u1, 0b10_00_10_00) + Avx512F.Shuffle4x128(u0, u1, 0b11_01_11_01);
        var v1 = Avx512F.Shuffle4x128(u2, u3, 0b10_00_10_00) + Avx512F.Shuffle4x128(u2, u3, 0b11_01_11_01);
        return Avx512F.Shuffle4x128(v0, v1, 0b10_00_10_00) + Avx512F.Shuffle4x128(v0, v1, 0b11_01_11_01);
    }

    /// <summary>How <see cref="Block512{TLoad}"/> reads 16 weights: straight, or from the grid-aligned lines that hold them.</summary>
    private interface IRowLoad
    {
        static abstract bool Shifted { get; }

        /// <summary>
        /// a + w[0..16) · x, where p = w − m is line-aligned, next = 16 when m ≠ 0 (else 0) and index = m, m + 1, ....
        /// </summary>
        static abstract Vector512<float> Window(float* p, long next, Vector512<int> index, Vector512<float> x, Vector512<float> a);

        /// <summary>(a + w[0..16) · x0) + w[16..32) · x1, as two <see cref="Window"/> calls.</summary>
        static abstract Vector512<float> Window2(float* p, long next, Vector512<int> index, Vector512<float> x0, Vector512<float> x1,
            Vector512<float> a);
    }

    private readonly struct DirectLoad : IRowLoad
    {
        public static bool Shifted => false;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Window(float* p, long next, Vector512<int> index, Vector512<float> x, Vector512<float> a) =>
            Avx512F.FusedMultiplyAdd(Vector512.Load(p), x, a);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Window2(float* p, long next, Vector512<int> index, Vector512<float> x0, Vector512<float> x1,
            Vector512<float> a) =>
            Avx512F.FusedMultiplyAdd(Vector512.Load(p + 16), x1, Avx512F.FusedMultiplyAdd(Vector512.Load(p), x0, a));
    }

    /// <summary>
    /// Every load stays inside the lines that hold the window's weights, so none can reach into an unmapped page;
    /// the vectors equal unaligned loads, lane for lane.
    /// </summary>
    private readonly struct ShiftedLoad : IRowLoad
    {
        public static bool Shifted => true;

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Window(float* p, long next, Vector512<int> index, Vector512<float> x, Vector512<float> a) =>
            Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32x2(Vector512.LoadAligned(p), index, Vector512.LoadAligned(p + next)), x, a);

        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static Vector512<float> Window2(float* p, long next, Vector512<int> index, Vector512<float> x0, Vector512<float> x1,
            Vector512<float> a)
        {
            var middle = Vector512.LoadAligned(p + 16);
            a = Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32x2(Vector512.LoadAligned(p), index, middle), x0, a);
            return Avx512F.FusedMultiplyAdd(Avx512F.PermuteVar16x32x2(middle, index, Vector512.LoadAligned(p + 16 + next)), x1, a);
        }
    }

    /// <summary>Each 128-bit lane of the result holds the four lane-chunk sums of rows a, b, c, d in that order.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<float> Quad(Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d)
    {
        var ab = Avx512F.UnpackLow(a, b) + Avx512F.UnpackHigh(a, b);
        var cd = Avx512F.UnpackLow(c, d) + Avx512F.UnpackHigh(c, d);
        return Avx512F.UnpackLow(ab.AsDouble(), cd.AsDouble()).AsSingle() + Avx512F.UnpackHigh(ab.AsDouble(), cd.AsDouble()).AsSingle();
    }

    /// <summary><see cref="Block512"/> for 8 rows of Vector256.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Block256(in Product p, int r, int n, int b)
    {
        var a0 = Vector256<float>.Zero; var a1 = a0; var a2 = a0; var a3 = a0; var a4 = a0; var a5 = a0; var a6 = a0; var a7 = a0;
        for (int operand = 0; operand < 2; operand++)
        {
            long c = operand == 0 ? p.ColsA : p.ColsB;
            float* w = operand == 0 ? p.WA : p.WB;
            if (w == null)
                continue; // no second operand, or an empty one
            w += r * c;
            float* x = (operand == 0 ? p.XA : p.XB) + b * c;
            float* w0 = w, w1 = w + Math.Min(1, n - 1) * c, w2 = w + Math.Min(2, n - 1) * c, w3 = w + Math.Min(3, n - 1) * c;
            float* w4 = w + Math.Min(4, n - 1) * c, w5 = w + Math.Min(5, n - 1) * c, w6 = w + Math.Min(6, n - 1) * c, w7 = w + Math.Min(7, n - 1) * c;
            long kv = c - c % 8;
            for (long k = 0; k < kv; k += 8)
            {
                var xv = Vector256.Load(x + k);
                a0 = Vector256.MultiplyAddEstimate(Vector256.Load(w0 + k), xv, a0);
                a1 = Vector256.MultiplyAddEstimate(Vector256.Load(w1 + k), xv, a1);
                a2 = Vector256.MultiplyAddEstimate(Vector256.Load(w2 + k), xv, a2);
                a3 = Vector256.MultiplyAddEstimate(Vector256.Load(w3 + k), xv, a3);
                a4 = Vector256.MultiplyAddEstimate(Vector256.Load(w4 + k), xv, a4);
                a5 = Vector256.MultiplyAddEstimate(Vector256.Load(w5 + k), xv, a5);
                a6 = Vector256.MultiplyAddEstimate(Vector256.Load(w6 + k), xv, a6);
                a7 = Vector256.MultiplyAddEstimate(Vector256.Load(w7 + k), xv, a7);
            }
        }
        var u0 = Quad(a0, a1, a2, a3);
        var u1 = Quad(a4, a5, a6, a7);
        return Avx.Permute2x128(u0, u1, 0x20) + Avx.Permute2x128(u0, u1, 0x31);
    }

    /// <summary><see cref="Quad(Vector512{float}, Vector512{float}, Vector512{float}, Vector512{float})"/> for Vector256.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<float> Quad(Vector256<float> a, Vector256<float> b, Vector256<float> c, Vector256<float> d)
    {
        var ab = Avx.UnpackLow(a, b) + Avx.UnpackHigh(a, b);
        var cd = Avx.UnpackLow(c, d) + Avx.UnpackHigh(c, d);
        return Avx.UnpackLow(ab.AsDouble(), cd.AsDouble()).AsSingle() + Avx.UnpackHigh(ab.AsDouble(), cd.AsDouble()).AsSingle();
    }

    /// <summary>
    /// The Vector128 and scalar paths: rows [r0, r1) four at a time, one accumulator and one horizontal sum per row
    /// (with 4 lanes or fewer the sum is cheap); the tail rows take the same steps one by one.
    /// </summary>
    private static void Kernel<TOps, TVec>(in Product p, int r0, int r1, int batch)
        where TOps : ISimdOps<TVec>
        where TVec : struct
    {
        int r = r0;
        for (; r + 4 <= r1; r += 4)
        {
            for (int b = 0; b < batch; b++)
            {
                float* y = p.Y + (long)b * p.Ldy + r;
                var s = Dot4<TOps, TVec>(p.WA + (long)r * p.ColsA, p.ColsA, p.XA + (long)b * p.ColsA);
                if (p.WB != null)
                    s += Dot4<TOps, TVec>(p.WB + (long)r * p.ColsB, p.ColsB, p.XB + (long)b * p.ColsB);
                if (p.Bias != null)
                    s += Vector128.Create(p.Bias[r], p.Bias[r + 1], p.Bias[r + 2], p.Bias[r + 3]);
                for (int j = 0; j < 4; j++)
                    y[j] = p.Accumulate ? y[j] + s.GetElement(j) : s.GetElement(j);
            }
        }
        for (; r < r1; r++)
        {
            for (int b = 0; b < batch; b++)
            {
                float* y = p.Y + (long)b * p.Ldy + r;
                float s = Dot<TOps, TVec>(p.WA + (long)r * p.ColsA, p.ColsA, p.XA + (long)b * p.ColsA);
                if (p.WB != null)
                    s += Dot<TOps, TVec>(p.WB + (long)r * p.ColsB, p.ColsB, p.XB + (long)b * p.ColsB);
                if (p.Bias != null)
                    s += p.Bias[r];
                *y = p.Accumulate ? *y + s : s;
            }
        }
    }

    /// <summary>Four rows' dot products with x: the same per-row steps as <see cref="Dot{TOps, TVec}"/>, sharing the loads of x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Dot4<TOps, TVec>(float* w0, int cols, float* x)
        where TOps : ISimdOps<TVec>
        where TVec : struct
    {
        int V = TOps.Count, kv = cols - cols % V;
        float* w1 = w0 + cols, w2 = w1 + cols, w3 = w2 + cols;
        TVec a0 = TOps.Zero, a1 = TOps.Zero, a2 = TOps.Zero, a3 = TOps.Zero;
        for (int k = 0; k < kv; k += V)
        {
            TVec xv = TOps.Load(x + k);
            a0 = TOps.MultiplyAdd(TOps.Load(w0 + k), xv, a0);
            a1 = TOps.MultiplyAdd(TOps.Load(w1 + k), xv, a1);
            a2 = TOps.MultiplyAdd(TOps.Load(w2 + k), xv, a2);
            a3 = TOps.MultiplyAdd(TOps.Load(w3 + k), xv, a3);
        }
        float s0 = TOps.Sum(a0), s1 = TOps.Sum(a1), s2 = TOps.Sum(a2), s3 = TOps.Sum(a3);
        for (int k = kv; k < cols; k++)
        {
            s0 += w0[k] * x[k];
            s1 += w1[k] * x[k];
            s2 += w2[k] * x[k];
            s3 += w3[k] * x[k];
        }
        return Vector128.Create(s0, s1, s2, s3);
    }

    /// <summary>One row's dot product with x: vector partial sums, one horizontal sum, then the tail in ascending k.</summary>
    private static float Dot<TOps, TVec>(float* w, int cols, float* x)
        where TOps : ISimdOps<TVec>
        where TVec : struct
    {
        int V = TOps.Count, kv = cols - cols % V;
        TVec a = TOps.Zero;
        for (int k = 0; k < kv; k += V)
            a = TOps.MultiplyAdd(TOps.Load(w + k), TOps.Load(x + k), a);
        float s = TOps.Sum(a);
        for (int k = kv; k < cols; k++)
            s += w[k] * x[k];
        return s;
    }
}
