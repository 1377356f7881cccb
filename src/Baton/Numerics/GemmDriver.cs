namespace Baton.Numerics;

/// <summary>
/// The cache-blocked GEMM loop nest (GotoBLAS / BLIS order) over <see cref="GemmKernel{TOps,TVec}"/>.
/// The vector dimension (columns, NR per tile) plays BLIS's "MR" role and the broadcast dimension
/// (rows, MR per tile) its "NR" role: for each MC-row block and KC-deep slice op(A) is packed into
/// MR-row panels (kept in L3), then for each NC-column block op(B) is packed into NR-column panels
/// (kept in L2); each A micro-panel stays in L1 while the B panels stream past it from L2. The K slices are always taken in the same order, so every element of C
/// is computed the same way whichever rows or columns a thread owns.
/// </summary>
internal static unsafe class GemmDriver<TOps, TVec>
    where TOps : struct, ISimdOps<TVec>
    where TVec : struct
{
    /// <summary>Depth of a packed slice.</summary>
    public const int KC = 384;

    /// <summary>Rows of op(A) packed at once (a multiple of MR): the L3-resident block.</summary>
    public const int MC = 3072;

    /// <summary>
    /// Columns of op(B) packed at once (a multiple of NR): the L2-resident block, KC · NC floats. The wide tiles
    /// (NR ≥ 32, AVX-512 registers) take 512 columns, 768 KB, for the 1–2 MB L2 of the cores that have them; the
    /// narrower ones take 256, 384 KB, which also fits the 512 KB L2 of AVX2-only cores (Zen 2 / 3).
    /// </summary>
    public static int NC => NR >= 32 ? 512 : 256;

    private static int MR => GemmKernel<TOps, TVec>.MR;
    private static int NR => GemmKernel<TOps, TVec>.NR;

    /// <summary>Floats of the per-thread buffer before the packed A block: the packed B block, then a tile of scratch.</summary>
    private static int FixedFloats => KC * NC + 64 * 64;

    /// <summary>C[m0..m1, n0..n1) = alpha · op(A) · op(B) + beta · C over those rows and columns.</summary>
    public static void Block(bool transA, bool transB, int m0, int m1, int n0, int n1, int k, float alpha,
        float* a, int lda, float* b, int ldb, float beta, float* c, int ldc)
    {
        int mcMax = Math.Min(MC, (m1 - m0 + MR - 1) / MR * MR);
        float* bp = GemmBuffers.ForThisThread.Block(FixedFloats + mcMax * KC);
        float* scratch = bp + KC * NC;
        float* ap = scratch + 64 * 64;
        int nr = NR;
        for (int ic = m0; ic < m1; ic += MC)
        {
            int mc = Math.Min(MC, m1 - ic);
            for (int pc = 0; pc < k; pc += KC)
            {
                int kc = Math.Min(KC, k - pc);
                float betaSlice = pc == 0 ? beta : 1f;
                GemmKernel<TOps, TVec>.PackA(transA, a, lda, ic, mc, pc, kc, ap);
                for (int jc = n0; jc < n1; jc += NC)
                {
                    int nc = Math.Min(NC, n1 - jc);
                    GemmKernel<TOps, TVec>.PackB(transB, b, ldb, pc, kc, jc, nc, bp);
                    for (int ir = 0; ir < mc; ir += MR)
                    {
                        int rows = Math.Min(MR, mc - ir);
                        float* apanel = ap + ir * kc;
                        float* crow = c + (long)(ic + ir) * ldc + jc;
                        for (int jr = 0; jr < nc; jr += nr)
                        {
                            int cols = Math.Min(nr, nc - jr);
                            GemmKernel<TOps, TVec>.Tile(rows, apanel, bp + (long)jr * kc, kc, crow + jr, ldc,
                                alpha, betaSlice, 0, cols, scratch);
                        }
                    }
                }
            }
        }
    }

    /// <summary>
    /// C[0..m, colStart..colStart+colCount) = alpha · A · B + beta · C with B pre-packed in full-depth
    /// NR-column panels (<see cref="PackedMatrix"/>), and likewise for each further group g &lt; groups of as many columns
    /// from colStart + g·groupStride, with A packed once. A is m × K row-major. Each element is rounded once, or, with
    /// <paramref name="bySlice"/>, into C after each <see cref="KC"/>-deep slice exactly as <see cref="Block"/> rounds it.
    /// </summary>
    public static void Packed(int m, float alpha, float* a, int lda, PackedMatrix packed, float beta,
        float* c, int ldc, int colStart, int colCount, int groups = 1, int groupStride = 0, bool bySlice = false)
    {
        int k = packed.K;
        int nr = NR;
        var buffers = GemmBuffers.ForThisThread;
        float* scratch = buffers.Block(FixedFloats) + KC * NC;
        float* apk = a;
        if (m > 1)
        {
            // The MR-row panels of A, packed full depth; one row is already its own panel.
            apk = buffers.Rows((long)m * k);
            GemmKernel<TOps, TVec>.PackA(false, a, lda, 0, m, 0, k, apk);
        }
        float* panels = packed.Pointer;
        for (int g = 0; g < groups; g++)
        {
            int first = colStart + g * groupStride, colEnd = first + colCount;
            for (int q = first / nr; q * nr < colEnd; q++)
            {
                int panel0 = q * nr;
                int col0 = Math.Max(first - panel0, 0);
                int cols = Math.Min(nr, colEnd - panel0);
                float* bpanel = panels + (long)q * k * nr;
                for (int i = 0; i < m; i += MR)
                {
                    int rows = Math.Min(MR, m - i);
                    float* ap = apk + (long)i * k, ctile = c + (long)i * ldc + panel0;
                    if (!bySlice)
                    {
                        GemmKernel<TOps, TVec>.Tile(rows, ap, bpanel, k, ctile, ldc, alpha, beta, col0, cols, scratch);
                        continue;
                    }
                    // A panel holds element (p, r) at p·rows + r and a B panel (p, j) at p·NR + j: a slice starts pc rows in.
                    for (int pc = 0; pc < k; pc += KC)
                        GemmKernel<TOps, TVec>.Tile(rows, ap + (long)pc * rows, bpanel + (long)pc * nr, Math.Min(KC, k - pc),
                            ctile, ldc, alpha, pc == 0 ? beta : 1f, col0, cols, scratch);
                }
            }
        }
    }
}
