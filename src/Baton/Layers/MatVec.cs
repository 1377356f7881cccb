using System.Runtime.Intrinsics;
using Baton.Numerics;

namespace Baton.Layers;

/// <summary>
/// Products of a row-major weight with a few vectors, y[b, r] = Σ_k W[r, k] · x[b, k], for streaming steps where
/// the batch is too small for a packed GEMM to pay off: each weight row is read once per call, straight from the
/// PyTorch layout (nothing to repack when the weights change). Each y[b, r] is computed the same way whatever the
/// thread count (vector partial sums over k in ascending chunks, then the tail in ascending k).
/// </summary>
internal static unsafe class MatVec
{
    /// <summary>
    /// y[b, r] = Σ_k w[r, k] · x[b, k] (or += when <paramref name="accumulate"/>) for r in [0, rows), b in [0, batch).
    /// w: [rows, cols]; x: [batch, cols]; y: [batch, ldy].
    /// </summary>
    public static void Multiply(ReadOnlySpan<float> w, int rows, int cols, ReadOnlySpan<float> x, int batch,
        Span<float> y, int ldy, bool accumulate)
    {
        if (w.Length < rows * cols || x.Length < batch * cols || (batch > 0 && y.Length < (batch - 1) * ldy + rows))
            throw new ArgumentException("MatVec operand too short.");
        fixed (float* pw = w, px = x, py = y)
        {
            int parts = (long)rows * cols * batch >= ParallelThreshold ? Math.Min(Threads.Count, Math.Max(1, rows / 4)) : 1;
            if (parts == 1)
            {
                Rows(pw, 0, rows, cols, px, batch, py, ldy, accumulate);
                return;
            }
            var job = work ??= new Work();
            job.Set(pw, rows, cols, px, batch, py, ldy, accumulate);
            WorkerPool.Shared.Run(job, parts);
        }
    }

    /// <summary>Multiply-adds below which a product runs on the calling thread alone.</summary>
    private const long ParallelThreshold = 1 << 18;

    [ThreadStatic] private static Work? work;

    /// <summary>Splits the weight rows into contiguous ranges (multiples of 4), one per thread.</summary>
    private sealed class Work : IParallelWork
    {
        private float* w, x, y;
        private int rows, cols, batch, ldy;
        private bool accumulate;

        public void Set(float* w, int rows, int cols, float* x, int batch, float* y, int ldy, bool accumulate)
        {
            this.w = w;
            this.x = x;
            this.y = y;
            this.rows = rows;
            this.cols = cols;
            this.batch = batch;
            this.ldy = ldy;
            this.accumulate = accumulate;
        }

        public void Execute(int index, int count)
        {
            int groups = (rows + 3) / 4;
            int r0 = Math.Min(rows, (int)((long)groups * index / count) * 4);
            int r1 = Math.Min(rows, (int)((long)groups * (index + 1) / count) * 4);
            Rows(w, r0, r1, cols, x, batch, y, ldy, accumulate);
        }
    }

    private static void Rows(float* w, int r0, int r1, int cols, float* x, int batch, float* y, int ldy, bool accumulate)
    {
        switch (SimdPaths.Best)
        {
            case SimdPath.Vector512: Kernel<Simd512, Vector512<float>>(w, r0, r1, cols, x, batch, y, ldy, accumulate); break;
            case SimdPath.Vector256: Kernel<Simd256, Vector256<float>>(w, r0, r1, cols, x, batch, y, ldy, accumulate); break;
            case SimdPath.Vector128: Kernel<Simd128, Vector128<float>>(w, r0, r1, cols, x, batch, y, ldy, accumulate); break;
            default: Kernel<SimdScalar, float>(w, r0, r1, cols, x, batch, y, ldy, accumulate); break;
        }
    }

    /// <summary>Weight rows [r0, end) of the product.</summary>
    private static void Kernel<TOps, TVec>(float* w, int r0, int end, int cols, float* x, int batch, float* y, int ldy, bool accumulate)
        where TOps : ISimdOps<TVec>
        where TVec : struct
    {
        int V = TOps.Count;
        int kv = cols - cols % V;
        int r = r0;
        for (; r + 4 <= end; r += 4)
        {
            float* w0 = w + (long)r * cols, w1 = w0 + cols, w2 = w1 + cols, w3 = w2 + cols;
            for (int b = 0; b < batch; b++)
            {
                float* xb = x + (long)b * cols;
                TVec a0 = TOps.Zero, a1 = TOps.Zero, a2 = TOps.Zero, a3 = TOps.Zero;
                for (int k = 0; k < kv; k += V)
                {
                    TVec xv = TOps.Load(xb + k);
                    a0 = TOps.MultiplyAdd(TOps.Load(w0 + k), xv, a0);
                    a1 = TOps.MultiplyAdd(TOps.Load(w1 + k), xv, a1);
                    a2 = TOps.MultiplyAdd(TOps.Load(w2 + k), xv, a2);
                    a3 = TOps.MultiplyAdd(TOps.Load(w3 + k), xv, a3);
                }
                float s0 = TOps.Sum(a0), s1 = TOps.Sum(a1), s2 = TOps.Sum(a2), s3 = TOps.Sum(a3);
                for (int k = kv; k < cols; k++)
                {
                    s0 += w0[k] * xb[k];
                    s1 += w1[k] * xb[k];
                    s2 += w2[k] * xb[k];
                    s3 += w3[k] * xb[k];
                }
                float* yb = y + (long)b * ldy + r;
                if (accumulate)
                {
                    yb[0] += s0; yb[1] += s1; yb[2] += s2; yb[3] += s3;
                }
                else
                {
                    yb[0] = s0; yb[1] = s1; yb[2] = s2; yb[3] = s3;
                }
            }
        }
        for (; r < end; r++)
        {
            float* w0 = w + (long)r * cols;
            for (int b = 0; b < batch; b++)
            {
                float* xb = x + (long)b * cols;
                TVec a0 = TOps.Zero;
                for (int k = 0; k < kv; k += V)
                    a0 = TOps.MultiplyAdd(TOps.Load(w0 + k), TOps.Load(xb + k), a0);
                float s0 = TOps.Sum(a0);
                for (int k = kv; k < cols; k++)
                    s0 += w0[k] * xb[k];
                float* yb = y + (long)b * ldy + r;
                *yb = accumulate ? *yb + s0 : s0;
            }
        }
    }
}
