using System.Runtime.Intrinsics;

namespace Baton.Numerics;

/// <summary>
/// Single-precision matrix products on row-major storage: packed panels, a register-tiled
/// Vector512 / Vector256 / Vector128 micro-kernel (scalar fallback), threaded over
/// <see cref="WorkerPool.Shared"/> with <see cref="Threads.Count"/> parts split by output columns or rows only.
/// </summary>
internal static unsafe class Gemm
{
    /// <summary>
    /// Multiply-adds below which a product runs on the calling thread alone: about 4 µs of one core's
    /// work, where waking a second thread no longer pays (or the operands fit one core's L2 anyway).
    /// </summary>
    private const long ParallelThreshold = 1 << 18;

    [ThreadStatic] private static SgemmWork? sgemmWork;
    [ThreadStatic] private static PackedWork? packedWork;

    /// <summary>
    /// C = alpha · op(A) · op(B) + beta · C, where op(A) is m×k and op(B) is k×n, all row-major.
    /// op(X) = Xᵀ when the matching <c>trans</c> flag is set (A then stored k×m, B stored n×k).
    /// With beta = 0, C is overwritten (NaN in C is not propagated).
    /// Each element is Σ_p op(A)[i,p]·op(B)[p,j] in ascending p (fused multiply-adds, rounded into C
    /// every 384 values of p, the K slice of the packed blocks); results are bit-identical for every <see cref="Threads.Count"/>.
    /// </summary>
    /// <exception cref="ArgumentException">A size is negative, a leading dimension is too small, or a span is too short (the argument is named).</exception>
    public static void Sgemm(bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb,
        float beta, Span<float> c, int ldc)
    {
        Sgemm(SimdPaths.Best, Threads.Count, transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
    }

    /// <summary>
    /// C = alpha · A · B + beta · C with B pre-packed: A is m × <c>b.K</c> row-major (stride <paramref name="lda"/>),
    /// C is m × <c>b.N</c> (stride <paramref name="ldc"/>); beta = 0 overwrites C. Each element is
    /// Σ_p A[i,p]·B[p,j] in ascending p with fused multiply-adds, rounded once. Split over
    /// <see cref="Threads.Count"/> threads by columns; bit-identical for every thread count.
    /// </summary>
    public static void Sgemm(int m, float alpha, ReadOnlySpan<float> a, int lda, PackedMatrix b,
        float beta, Span<float> c, int ldc)
    {
        ArgumentNullException.ThrowIfNull(b);
        SgemmPacked(Threads.Count, m, alpha, a, lda, b, beta, c, ldc, 0, b.N);
    }

    /// <summary>
    /// The columns [<paramref name="colStart"/>, <paramref name="colStart"/> + <paramref name="colCount"/>) of
    /// C = alpha · A · B + beta · C with B pre-packed, on the calling thread only (for a layer that splits
    /// its own per-thread work). C keeps its full layout: element (i, j) at i · ldc + j. Every element is
    /// computed exactly as by the whole product.
    /// </summary>
    public static void Sgemm(int m, float alpha, ReadOnlySpan<float> a, int lda, PackedMatrix b,
        float beta, Span<float> c, int ldc, int colStart, int colCount)
    {
        ArgumentNullException.ThrowIfNull(b);
        SgemmPacked(1, m, alpha, a, lda, b, beta, c, ldc, colStart, colCount);
    }

    /// <summary>
    /// <see cref="Sgemm(int, float, ReadOnlySpan{float}, int, PackedMatrix, float, Span{float}, int, int, int)"/> for
    /// <paramref name="groups"/> column ranges [colStart + g·groupStride, colStart + g·groupStride + colCount), g &lt; groups,
    /// on the calling thread with A packed once: the gate slices of the hidden units a thread owns in a recurrent step.
    /// Every element is computed exactly as by the whole product; with <paramref name="bySlice"/> it is rounded into C
    /// after each 384-deep slice of K, exactly as the general product (unpacked B) rounds it.
    /// </summary>
    public static void Sgemm(int m, float alpha, ReadOnlySpan<float> a, int lda, PackedMatrix b,
        float beta, Span<float> c, int ldc, int colStart, int colCount, int groups, int groupStride, bool bySlice = false)
    {
        ArgumentNullException.ThrowIfNull(b);
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(colStart);
        ArgumentOutOfRangeException.ThrowIfNegative(colCount);
        ArgumentOutOfRangeException.ThrowIfLessThan(groups, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(groupStride, colCount);
        long end = colStart + (long)(groups - 1) * groupStride + colCount;
        if (end > b.N)
            throw new ArgumentOutOfRangeException(nameof(groups), $"Columns up to {end} exceed the packed matrix's {b.N}.");
        CheckMatrix(a, m, b.K, lda, nameof(a), nameof(lda));
        CheckMatrix(c, m, (int)end, ldc, nameof(c), nameof(ldc));
        if (m == 0 || colCount == 0)
            return;
        fixed (float* pa = a, pc = c)
        {
            switch (b.Path)
            {
                case SimdPath.Vector512: GemmDriver<Simd512, Vector512<float>>.Packed(m, alpha, pa, lda, b, beta, pc, ldc, colStart, colCount, groups, groupStride, bySlice); break;
                case SimdPath.Vector256: GemmDriver<Simd256, Vector256<float>>.Packed(m, alpha, pa, lda, b, beta, pc, ldc, colStart, colCount, groups, groupStride, bySlice); break;
                case SimdPath.Vector128: GemmDriver<Simd128, Vector128<float>>.Packed(m, alpha, pa, lda, b, beta, pc, ldc, colStart, colCount, groups, groupStride, bySlice); break;
                default: GemmDriver<SimdScalar, float>.Packed(m, alpha, pa, lda, b, beta, pc, ldc, colStart, colCount, groups, groupStride, bySlice); break;
            }
        }
    }

    /// <summary>Columns of a packed panel on <paramref name="path"/>.</summary>
    internal static int PanelWidth(SimdPath path) => path switch
    {
        SimdPath.Vector512 => GemmKernel<Simd512, Vector512<float>>.NR,
        SimdPath.Vector256 => GemmKernel<Simd256, Vector256<float>>.NR,
        SimdPath.Vector128 => GemmKernel<Simd128, Vector128<float>>.NR,
        _ => GemmKernel<SimdScalar, float>.NR,
    };

    /// <summary>The general product on a chosen path and thread count (tests pin both).</summary>
    internal static void Sgemm(SimdPath path, int threads, bool transA, bool transB, int m, int n, int k, float alpha,
        ReadOnlySpan<float> a, int lda, ReadOnlySpan<float> b, int ldb, float beta, Span<float> c, int ldc)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        CheckMatrix(a, transA ? k : m, transA ? m : k, lda, nameof(a), nameof(lda));
        CheckMatrix(b, transB ? n : k, transB ? k : n, ldb, nameof(b), nameof(ldb));
        CheckMatrix(c, m, n, ldc, nameof(c), nameof(ldc));
        if (m == 0 || n == 0)
            return;
        if (k == 0 || alpha == 0f)
        {
            Scale(c, m, n, ldc, beta);
            return;
        }
        int nr = PanelWidth(path);
        int columnUnits = (n + nr - 1) / nr;
        int rowUnits = (m + GemmKernel<SimdScalar, float>.MR - 1) / GemmKernel<SimdScalar, float>.MR;
        // Each part packs all of the operand it does not split: split the longer side so the shorter is the one repacked.
        bool splitColumns = m > n && rowUnits >= threads ? false : columnUnits >= Math.Min(threads, rowUnits);
        int parts = Math.Min(threads, splitColumns ? columnUnits : rowUnits);
        if ((long)m * n * k < ParallelThreshold)
            parts = 1;
        fixed (float* pa = a, pb = b, pc = c)
        {
            var work = sgemmWork ??= new SgemmWork();
            work.Set(path, transA, transB, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc,
                splitColumns, splitColumns ? columnUnits : rowUnits, splitColumns ? nr : GemmKernel<SimdScalar, float>.MR);
            WorkerPool.Shared.Run(work, parts);
            work.Clear();
        }
    }

    /// <summary>The packed-B product over a column range, on up to <paramref name="threads"/> threads.</summary>
    internal static void SgemmPacked(int threads, int m, float alpha, ReadOnlySpan<float> a, int lda, PackedMatrix b,
        float beta, Span<float> c, int ldc, int colStart, int colCount)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(m);
        ArgumentOutOfRangeException.ThrowIfNegative(colStart);
        ArgumentOutOfRangeException.ThrowIfNegative(colCount);
        if (colStart + (long)colCount > b.N)
            throw new ArgumentOutOfRangeException(nameof(colCount), $"Columns [{colStart}, {colStart + (long)colCount}) exceed the packed matrix's {b.N}.");
        CheckMatrix(a, m, b.K, lda, nameof(a), nameof(lda));
        CheckMatrix(c, m, colStart + colCount, ldc, nameof(c), nameof(ldc));
        if (m == 0 || colCount == 0)
            return;
        int nr = b.PanelWidth;
        int firstPanel = colStart / nr;
        int panels = (colStart + colCount + nr - 1) / nr - firstPanel;
        int parts = Math.Min(threads, panels);
        if ((long)m * colCount * b.K < ParallelThreshold)
            parts = 1;
        fixed (float* pa = a, pc = c)
        {
            if (parts == 1)
            {
                PackedColumns(m, alpha, pa, lda, b, beta, pc, ldc, colStart, colCount);
                return;
            }
            var work = packedWork ??= new PackedWork();
            work.Set(m, alpha, pa, lda, b, beta, pc, ldc, colStart, colCount);
            WorkerPool.Shared.Run(work, parts);
            work.Clear();
        }
    }

    private static void PackedColumns(int m, float alpha, float* a, int lda, PackedMatrix b, float beta,
        float* c, int ldc, int colStart, int colCount)
    {
        switch (b.Path)
        {
            case SimdPath.Vector512: GemmDriver<Simd512, Vector512<float>>.Packed(m, alpha, a, lda, b, beta, c, ldc, colStart, colCount); break;
            case SimdPath.Vector256: GemmDriver<Simd256, Vector256<float>>.Packed(m, alpha, a, lda, b, beta, c, ldc, colStart, colCount); break;
            case SimdPath.Vector128: GemmDriver<Simd128, Vector128<float>>.Packed(m, alpha, a, lda, b, beta, c, ldc, colStart, colCount); break;
            default: GemmDriver<SimdScalar, float>.Packed(m, alpha, a, lda, b, beta, c, ldc, colStart, colCount); break;
        }
    }

    /// <summary>Checks that a rows × cols matrix with leading dimension ld fits in span.</summary>
    internal static void CheckMatrix(ReadOnlySpan<float> span, int rows, int cols, int ld, string spanName, string ldName)
    {
        if (ld < Math.Max(1, cols))
            throw new ArgumentException($"Leading dimension {ld} is less than the {cols} columns.", ldName);
        long needed = rows == 0 || cols == 0 ? 0 : (long)(rows - 1) * ld + cols;
        if (span.Length < needed)
            throw new ArgumentException($"Span holds {span.Length} floats; a {rows}×{cols} matrix with leading dimension {ld} needs {needed}.", spanName);
    }

    private static void Scale(Span<float> c, int m, int n, int ldc, float beta)
    {
        for (int i = 0; i < m; i++)
        {
            var row = c.Slice(i * ldc, n);
            if (beta == 0f)
                row.Clear();
            else if (beta != 1f)
                System.Numerics.Tensors.TensorPrimitives.Multiply(row, beta, row);
        }
    }

    private sealed class SgemmWork : IParallelWork
    {
        private SimdPath path;
        private bool transA, transB, splitColumns;
        private int m, n, k, lda, ldb, ldc, units, unitSize;
        private float alpha, beta;
        private float* a, b, c;

        public void Set(SimdPath path, bool transA, bool transB, int m, int n, int k, float alpha, float* a, int lda,
            float* b, int ldb, float beta, float* c, int ldc, bool splitColumns, int units, int unitSize)
        {
            (this.path, this.transA, this.transB, this.m, this.n, this.k, this.alpha) = (path, transA, transB, m, n, k, alpha);
            this.a = a;
            this.b = b;
            this.c = c;
            (this.lda, this.ldb, this.beta, this.ldc) = (lda, ldb, beta, ldc);
            (this.splitColumns, this.units, this.unitSize) = (splitColumns, units, unitSize);
        }

        public void Clear()
        {
            a = null;
            b = null;
            c = null;
        }

        public void Execute(int index, int count)
        {
            int first = (int)((long)units * index / count) * unitSize;
            int last = (int)((long)units * (index + 1) / count) * unitSize;
            int m0 = 0, m1 = m, n0 = 0, n1 = n;
            if (splitColumns)
                (n0, n1) = (first, Math.Min(last, n));
            else
                (m0, m1) = (first, Math.Min(last, m));
            if (m0 >= m1 || n0 >= n1)
                return;
            switch (path)
            {
                case SimdPath.Vector512: GemmDriver<Simd512, Vector512<float>>.Block(transA, transB, m0, m1, n0, n1, k, alpha, a, lda, b, ldb, beta, c, ldc); break;
                case SimdPath.Vector256: GemmDriver<Simd256, Vector256<float>>.Block(transA, transB, m0, m1, n0, n1, k, alpha, a, lda, b, ldb, beta, c, ldc); break;
                case SimdPath.Vector128: GemmDriver<Simd128, Vector128<float>>.Block(transA, transB, m0, m1, n0, n1, k, alpha, a, lda, b, ldb, beta, c, ldc); break;
                default: GemmDriver<SimdScalar, float>.Block(transA, transB, m0, m1, n0, n1, k, alpha, a, lda, b, ldb, beta, c, ldc); break;
            }
        }
    }

    private sealed class PackedWork : IParallelWork
    {
        private int m, lda, ldc, colStart, colCount;
        private float alpha, beta;
        private float* a, c;
        private PackedMatrix? b;

        public void Set(int m, float alpha, float* a, int lda, PackedMatrix b, float beta, float* c, int ldc, int colStart, int colCount)
        {
            this.a = a;
            this.c = c;
            (this.m, this.alpha, this.lda, this.b, this.beta, this.ldc) = (m, alpha, lda, b, beta, ldc);
            (this.colStart, this.colCount) = (colStart, colCount);
        }

        public void Clear()
        {
            a = null;
            c = null;
            b = null;
        }

        public void Execute(int index, int count)
        {
            // Split whole panels: part boundaries fall on panel edges of the packed matrix.
            int nr = b!.PanelWidth;
            int firstPanel = colStart / nr;
            int end = colStart + colCount;
            int panels = (end + nr - 1) / nr - firstPanel;
            int p0 = firstPanel + (int)((long)panels * index / count);
            int p1 = firstPanel + (int)((long)panels * (index + 1) / count);
            int s = Math.Max(colStart, p0 * nr);
            int e = Math.Min(end, p1 * nr);
            if (s < e)
                PackedColumns(m, alpha, a, lda, b, beta, c, ldc, s, e - s);
        }
    }
}
