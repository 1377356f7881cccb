using System.Buffers;
using System.Numerics.Tensors;

namespace Baton.Numerics;

/// <summary>
/// The elementwise linear recurrence h_t = a_t ⊙ h_{t-1} + b_t over N independent channels and T steps
/// (time-major <c>[T, N]</c>, row-major; for a batch of hidden states N = B·H), and its backward pass,
/// which is the same recurrence run backwards in time. SIMD runs across channels (TensorPrimitives);
/// threads split channels or time chunks (<see cref="ScanMethod"/>).
/// </summary>
internal static unsafe class LinearScan
{
    /// <summary><see cref="ScanMethod.Auto"/> splits channels when N is at least this (four 512-bit vectors per thread on two threads)…</summary>
    public const int MinChannelsForChannelSplit = 128;

    /// <summary>…and T·N is at least this, so that the work outweighs waking the worker threads.</summary>
    public const int MinElementsForThreads = 1 << 16;

    /// <summary>Chunk length of <see cref="ScanMethod.TimeChunks"/> (chunk count = ⌈T / length⌉, at most <see cref="MaxTimeChunks"/>).</summary>
    public const int TimeChunkLength = 256;

    /// <summary>Upper bound on the number of time chunks.</summary>
    public const int MaxTimeChunks = 64;

    private const int ColumnAlignment = 16;

    [ThreadStatic] private static ScanWork? cachedWork;

    /// <summary>
    /// h_t = a_t ⊙ h_{t-1} + b_t for t = 0..T-1, with h_{-1} = <paramref name="h0"/> (empty = zero).
    /// a, b, h: [T, N]; h0: [N] or empty. <paramref name="h"/> may alias <paramref name="b"/>.
    /// </summary>
    public static void Forward(ReadOnlySpan<float> a, ReadOnlySpan<float> b, ReadOnlySpan<float> h0, Span<float> h,
        int T, int N, ScanMethod method = ScanMethod.Auto)
    {
        CheckShapes(a, b, h, T, N);
        if (!h0.IsEmpty && h0.Length != N)
            throw new ArgumentException($"h0 must be empty or have N = {N} elements.", nameof(h0));
        if (T == 0 || N == 0)
            return;
        fixed (float* pa = a, pb = b, ph0 = h0, ph = h)
        {
            var work = cachedWork ??= new ScanWork();
            work.Set(pa, pb, h0.IsEmpty ? null : ph0, ph, T, N, reverse: false, hPrev: null, h0ForDa: null, da: null);
            Run(work, Resolve(method, T, N));
        }
    }

    /// <summary>
    /// Backward of <see cref="Forward"/>. Given dh_t = ∂L/∂h_t from outside the recurrence, computes the total
    /// gradient g_t = dh_t + a_{t+1} ⊙ g_{t+1} (g_{T-1} = dh_{T-1}) by a reversed scan, and
    /// db_t = g_t, da_t = g_t ⊙ h_{t-1}, dh0 = a_0 ⊙ g_0 (overwritten, not accumulated).
    /// a, h, dh, db, da: [T, N]; h0, dh0: [N] or empty (h0 empty = zero; da, dh0 empty = skip).
    /// <paramref name="db"/> may alias <paramref name="dh"/>.
    /// </summary>
    public static void Backward(ReadOnlySpan<float> a, ReadOnlySpan<float> h, ReadOnlySpan<float> h0, ReadOnlySpan<float> dh,
        Span<float> db, Span<float> da, Span<float> dh0, int T, int N, ScanMethod method = ScanMethod.Auto)
    {
        CheckShapes(a, dh, db, T, N);
        if (h.Length < T * N)
            throw new ArgumentException($"h must hold T·N = {T * N} elements.", nameof(h));
        if (!da.IsEmpty && da.Length < T * N)
            throw new ArgumentException($"da must be empty or hold T·N = {T * N} elements.", nameof(da));
        if (!h0.IsEmpty && h0.Length != N)
            throw new ArgumentException($"h0 must be empty or have N = {N} elements.", nameof(h0));
        if (!dh0.IsEmpty && dh0.Length != N)
            throw new ArgumentException($"dh0 must be empty or have N = {N} elements.", nameof(dh0));
        if (N == 0)
            return;
        if (T == 0)
        {
            dh0.Clear();
            return;
        }
        fixed (float* pa = a, ph = h, ph0 = h0, pdh = dh, pdb = db, pda = da)
        {
            var work = cachedWork ??= new ScanWork();
            work.Set(pa, pdh, null, pdb, T, N, reverse: true, hPrev: ph, h0ForDa: h0.IsEmpty ? null : ph0, da: da.IsEmpty ? null : pda);
            Run(work, Resolve(method, T, N));
        }
        if (!dh0.IsEmpty)
            TensorPrimitives.Multiply(a[..N], db[..N], dh0);
    }

    /// <summary>
    /// The method <see cref="ScanMethod.Auto"/> resolves to for this shape: <see cref="ScanMethod.Channels"/> for wide,
    /// large scans, else <see cref="ScanMethod.Sequential"/>. It never picks <see cref="ScanMethod.TimeChunks"/>: on a
    /// CPU with a few cores the two-pass scan does about twice the work of the loop, and a narrow scan (small N) is
    /// too little work to repay waking threads (measured in docs/notes/parallel.md). Both picks are bit-identical to
    /// the sequential loop, so results never depend on the thread count.
    /// </summary>
    public static ScanMethod Resolve(ScanMethod method, int T, int N)
    {
        if (method != ScanMethod.Auto)
            return method;
        return N >= MinChannelsForChannelSplit && (long)T * N >= MinElementsForThreads ? ScanMethod.Channels : ScanMethod.Sequential;
    }

    private static void CheckShapes(ReadOnlySpan<float> a, ReadOnlySpan<float> b, Span<float> h, int T, int N)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(T);
        ArgumentOutOfRangeException.ThrowIfNegative(N);
        long size = (long)T * N;
        if (a.Length < size)
            throw new ArgumentException($"a must hold T·N = {size} elements.", nameof(a));
        if (b.Length < size)
            throw new ArgumentException($"The values must hold T·N = {size} elements.", nameof(b));
        if (h.Length < size)
            throw new ArgumentException($"The output must hold T·N = {size} elements.", nameof(h));
    }

    private static void Run(ScanWork work, ScanMethod method)
    {
        int threads = Threads.Count;
        switch (method)
        {
            case ScanMethod.Sequential:
                work.Mode = ScanWork.Kind.Columns;
                work.Parts = 1;
                work.Execute(0, 1);
                break;
            case ScanMethod.Channels:
                work.Mode = ScanWork.Kind.Columns;
                work.Parts = Math.Clamp(work.N / ColumnAlignment, 1, threads);
                WorkerPool.Shared.Run(work, work.Parts);
                break;
            case ScanMethod.TimeChunks:
                RunTimeChunks(work, threads);
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(method));
        }
    }

    private static void RunTimeChunks(ScanWork work, int threads)
    {
        int T = work.T, N = work.N;
        int chunks = Math.Clamp((T + TimeChunkLength - 1) / TimeChunkLength, 1, MaxTimeChunks);
        int chunkLength = (T + chunks - 1) / chunks;
        chunks = (T + chunkLength - 1) / chunkLength;
        float[] products = ArrayPool<float>.Shared.Rent(chunks * N);  // [chunks, N]: ∏ a over chunk k (k ≥ 1), then running products in pass 2
        float[] carries = ArrayPool<float>.Shared.Rent(chunks * N);   // [chunks, N]: true state entering chunk k (k ≥ 1)
        try
        {
            fixed (float* pp = products, pc = carries)
            {
                work.Products = pp;
                work.Carries = pc;
                work.ChunkLength = chunkLength;
                work.Parts = chunks;
                int parts = Math.Min(threads, chunks);

                work.Mode = ScanWork.Kind.ChunkLocal;
                WorkerPool.Shared.Run(work, parts);

                // Serial carry pass: carry_1 = final of chunk 0; carry_{k+1} = local final_k + P_k ⊙ carry_k.
                for (int k = 1; k < chunks; k++)
                {
                    var carry = new Span<float>(pc + k * N, N);
                    var final = new ReadOnlySpan<float>(work.Row(Math.Min(k * chunkLength, T) - 1), N);
                    if (k == 1)
                        final.CopyTo(carry);
                    else
                        TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(pp + (k - 1) * N, N),
                            new ReadOnlySpan<float>(pc + (k - 1) * N, N), final, carry);
                }

                work.Mode = ScanWork.Kind.ChunkFix;
                WorkerPool.Shared.Run(work, parts);
            }
        }
        finally
        {
            work.Products = null;
            work.Carries = null;
            ArrayPool<float>.Shared.Return(products);
            ArrayPool<float>.Shared.Return(carries);
        }
    }

    /// <summary>
    /// One scan, addressed by step s = 0..T-1: forward s ↦ row s with coefficient row s; reverse s ↦ row T-1-s with
    /// coefficient row T-s (a_{t+1}). Step 0 of the reverse scan has no predecessor, so it never reads a row T.
    /// </summary>
    private sealed class ScanWork : IParallelWork
    {
        public enum Kind { Columns, ChunkLocal, ChunkFix }

        public Kind Mode;
        public int Parts;
        public int T, N, ChunkLength;
        public float* Products, Carries;
        private float* coef, values, init, output, hPrev, h0ForDa, da;
        private bool reverse;

        public void Set(float* coef, float* values, float* init, float* output, int T, int N, bool reverse,
            float* hPrev, float* h0ForDa, float* da)
        {
            this.coef = coef;
            this.values = values;
            this.init = init;
            this.output = output;
            this.T = T;
            this.N = N;
            this.reverse = reverse;
            this.hPrev = hPrev;
            this.h0ForDa = h0ForDa;
            this.da = da;
        }

        public float* Row(int step) => output + (long)RowIndex(step) * N;

        private int RowIndex(int step) => reverse ? T - 1 - step : step;

        private float* CoefRow(int step) => coef + (long)(reverse ? T - step : step) * N;

        public void Execute(int index, int count)
        {
            switch (Mode)
            {
                case Kind.Columns:
                {
                    int blocks = (N + ColumnAlignment - 1) / ColumnAlignment;
                    int c0 = Math.Min(N, (int)((long)blocks * index / Parts) * ColumnAlignment);
                    int c1 = Math.Min(N, (int)((long)blocks * (index + 1) / Parts) * ColumnAlignment);
                    if (c1 > c0)
                    {
                        ScanSteps(0, T, init, c0, c1 - c0, null);
                        Gradients(0, T, c0, c1 - c0);
                    }
                    break;
                }
                case Kind.ChunkLocal:
                    for (int k = index; k < Parts; k += count)
                    {
                        int s0 = k * ChunkLength, s1 = Math.Min(T, s0 + ChunkLength);
                        ScanSteps(s0, s1, k == 0 ? init : null, 0, N, k == 0 ? null : Products + (long)k * N);
                    }
                    break;
                case Kind.ChunkFix:
                    for (int k = index; k < Parts; k += count)
                    {
                        int s0 = k * ChunkLength, s1 = Math.Min(T, s0 + ChunkLength);
                        if (k > 0)
                            FixChunk(k, s0, s1);
                        Gradients(s0, s1, 0, N);
                    }
                    break;
            }
        }

        // Scans steps [s0, s1) of columns [c, c + w) from the state `start` before s0 (null = zero).
        // When `product` is set, it receives ∏ a over the steps.
        private void ScanSteps(int s0, int s1, float* start, int c, int w, float* product)
        {
            for (int s = s0; s < s1; s++)
            {
                var row = new Span<float>(Row(s) + c, w);
                var value = new ReadOnlySpan<float>(values + (long)RowIndex(s) * N + c, w);
                float* prev = s > s0 ? Row(s - 1) : start;
                if (prev == null)
                    value.CopyTo(row);
                else
                    TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(CoefRow(s) + c, w), new ReadOnlySpan<float>(prev + c, w), value, row);
                if (product != null)
                {
                    var p = new Span<float>(product + c, w);
                    var a = new ReadOnlySpan<float>(CoefRow(s) + c, w);
                    if (s == s0)
                        a.CopyTo(p);
                    else
                        TensorPrimitives.Multiply(p, a, p);
                }
            }
        }

        // Pass 2: h_s += (∏_{s0 ≤ u ≤ s} a_u) ⊙ carry_k.
        private void FixChunk(int k, int s0, int s1)
        {
            var running = new Span<float>(Products + (long)k * N, N);
            var carry = new ReadOnlySpan<float>(Carries + (long)k * N, N);
            for (int s = s0; s < s1; s++)
            {
                var a = new ReadOnlySpan<float>(CoefRow(s), N);
                if (s == s0)
                    a.CopyTo(running);
                else
                    TensorPrimitives.Multiply(running, a, running);
                var row = new Span<float>(Row(s), N);
                TensorPrimitives.MultiplyAdd(running, carry, row, row);
            }
        }

        // Backward only: da_t = g_t ⊙ h_{t-1} for the rows of steps [s0, s1), columns [c, c + w).
        private void Gradients(int s0, int s1, int c, int w)
        {
            if (da == null)
                return;
            for (int s = s0; s < s1; s++)
            {
                int t = RowIndex(s);
                var dst = new Span<float>(da + (long)t * N + c, w);
                var g = new ReadOnlySpan<float>(output + (long)t * N + c, w);
                if (t > 0)
                    TensorPrimitives.Multiply(g, new ReadOnlySpan<float>(hPrev + (long)(t - 1) * N + c, w), dst);
                else if (h0ForDa != null)
                    TensorPrimitives.Multiply(g, new ReadOnlySpan<float>(h0ForDa + c, w), dst);
                else
                    dst.Clear();
            }
        }
    }
}
