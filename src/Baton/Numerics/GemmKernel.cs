using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace Baton.Numerics;

/// <summary>A row count known when the kernel is compiled (1..6), so one kernel body serves every edge.</summary>
internal interface IRows
{
    static abstract int Value { get; }
}

internal readonly struct Rows1 : IRows { public static int Value => 1; }
internal readonly struct Rows2 : IRows { public static int Value => 2; }
internal readonly struct Rows3 : IRows { public static int Value => 3; }
internal readonly struct Rows4 : IRows { public static int Value => 4; }
internal readonly struct Rows5 : IRows { public static int Value => 5; }
internal readonly struct Rows6 : IRows { public static int Value => 6; }

/// <summary>
/// The register-tiled GEMM micro-kernel and the panel packing, written once over <see cref="ISimdOps{TVec}"/>.
/// A micro-tile is R ≤ <see cref="MR"/> rows by NR = GemmVectors · Count columns; its R·GemmVectors
/// accumulators live in registers for the whole K loop. Every output element is the sum over k in
/// ascending order, whatever the tile's position, so results never depend on how C is split.
/// </summary>
internal static unsafe class GemmKernel<TOps, TVec>
    where TOps : struct, ISimdOps<TVec>
    where TVec : struct
{
    /// <summary>Rows of a full micro-tile.</summary>
    public const int MR = 6;

    /// <summary>How many k-steps ahead the kernel prefetches the B panel.</summary>
    private const int PrefetchSteps = 8;

    /// <summary>
    /// How many k-steps before the end of the K loop the kernel asks for the C tile: about 200 cycles on a narrow tile,
    /// time for a line from L3; asked for at the start, the tile's lines would leave L1 again under the streaming B panel.
    /// </summary>
    private const int LateTileSteps = 64;

    /// <summary>Columns of a micro-tile (and of a packed B panel).</summary>
    public static int NR => TOps.GemmVectors * TOps.Count;

    /// <summary>
    /// C[r, col0..cols) = alpha · Σ_p Ap[p, r] · Bp[p, c] + beta · C (beta = 0: C is overwritten), for r &lt; R.
    /// <paramref name="ap"/>: kc × R packed (element (p, r) at p·R + r); <paramref name="bp"/>: kc × NR packed;
    /// <paramref name="c"/> points at the tile's column 0; <paramref name="scratch"/> holds MR × NR floats.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Tile<TRows>(float* ap, float* bp, int kc, float* c, int ldc, float alpha, float beta,
        int col0, int cols, float* scratch)
        where TRows : struct, IRows
    {
        int nr = NR;
        // Tiles of several rows ask for C near the end of their K loop (Accumulate); a one-row tile has no prefetches.
        if (TRows.Value == 1)
            PrefetchTile(c, ldc, 1, nr);
        Accumulate<TRows>(ap, bp, kc, scratch, c, ldc);
        bool full = col0 == 0 && cols == nr;
        for (int r = 0; r < TRows.Value; r++)
            StoreRow(c + (long)r * ldc, scratch + r * nr, alpha, beta, full, col0, cols);
    }

    /// <summary>
    /// sums[r·NR + c] = Σ_p Ap[p, r] · Bp[p, c] for r &lt; R, in ascending p with fused multiply-adds. A method of its own
    /// that takes no float argument: with AVX2's 16 vector registers the 6 × 2 tile needs 12 accumulators, two B vectors
    /// and a broadcast, and an alpha or beta kept live across the loop would push one accumulator onto the stack.
    /// <see cref="LateTileSteps"/> k-steps before the end it asks for the C tile (<paramref name="c"/>, stride
    /// <paramref name="ldc"/>) that <see cref="Tile{TRows}"/> will update.
    /// </summary>
    [MethodImpl(MethodImplOptions.NoInlining | MethodImplOptions.AggressiveOptimization)]
    private static void Accumulate<TRows>(float* ap, float* bp, int kc, float* sums, float* c, int ldc)
        where TRows : struct, IRows
    {
        int rows = TRows.Value;
        int nr = TOps.GemmVectors * TOps.Count;
        // Four k-steps an iteration on the narrow tiles, two on the wide ones, every load at a constant offset from the
        // two panel pointers: a narrow tile's 12 multiply-adds a step leave the front end little room, and the loop's
        // pointer arithmetic and counting would otherwise take a fifth of it.
        // A one-row tile (a streaming step's product) is bound by reading B, not by the front end: two k-steps suffice.
        int unroll = TOps.GemmVectors <= 2 && rows > 1 ? 4 : 2;
        TVec c00 = TOps.Zero, c01 = TOps.Zero, c02 = TOps.Zero, c03 = TOps.Zero;
        TVec c10 = TOps.Zero, c11 = TOps.Zero, c12 = TOps.Zero, c13 = TOps.Zero;
        TVec c20 = TOps.Zero, c21 = TOps.Zero, c22 = TOps.Zero, c23 = TOps.Zero;
        TVec c30 = TOps.Zero, c31 = TOps.Zero, c32 = TOps.Zero, c33 = TOps.Zero;
        TVec c40 = TOps.Zero, c41 = TOps.Zero, c42 = TOps.Zero, c43 = TOps.Zero;
        TVec c50 = TOps.Zero, c51 = TOps.Zero, c52 = TOps.Zero, c53 = TOps.Zero;
        bool prefetch = Sse.IsSupported && rows > 1;
        int whole = kc / unroll * unroll;
        // Without prefetches (one row) there is no late phase: one loop over every whole step.
        float* late = prefetch ? bp + (long)(Math.Max(whole - LateTileSteps, 0) / unroll * unroll) * nr : bp;
        float* stop = bp + (long)whole * nr;
        for (int phase = 0; phase < 2; phase++)
        {
            float* end = phase == 0 ? late : stop;
            for (; bp < end; ap += unroll * rows, bp += unroll * nr)
            {
                Step<TRows>(ap, bp, 0, prefetch, ref c00, ref c01, ref c02, ref c03, ref c10, ref c11, ref c12, ref c13,
                        ref c20, ref c21, ref c22, ref c23, ref c30, ref c31, ref c32, ref c33,
                        ref c40, ref c41, ref c42, ref c43, ref c50, ref c51, ref c52, ref c53);
                Step<TRows>(ap, bp, 1, prefetch, ref c00, ref c01, ref c02, ref c03, ref c10, ref c11, ref c12, ref c13,
                        ref c20, ref c21, ref c22, ref c23, ref c30, ref c31, ref c32, ref c33,
                        ref c40, ref c41, ref c42, ref c43, ref c50, ref c51, ref c52, ref c53);
                if (unroll == 4)
                {
                    Step<TRows>(ap, bp, 2, prefetch, ref c00, ref c01, ref c02, ref c03, ref c10, ref c11, ref c12, ref c13,
                        ref c20, ref c21, ref c22, ref c23, ref c30, ref c31, ref c32, ref c33,
                        ref c40, ref c41, ref c42, ref c43, ref c50, ref c51, ref c52, ref c53);
                    Step<TRows>(ap, bp, 3, prefetch, ref c00, ref c01, ref c02, ref c03, ref c10, ref c11, ref c12, ref c13,
                        ref c20, ref c21, ref c22, ref c23, ref c30, ref c31, ref c32, ref c33,
                        ref c40, ref c41, ref c42, ref c43, ref c50, ref c51, ref c52, ref c53);
                }
            }
            if (phase == 0 && prefetch)
                PrefetchTile(c, ldc, rows, nr);
        }
        for (float* end = bp + (long)(kc - whole) * nr; bp < end; ap += rows, bp += nr)
            Step<TRows>(ap, bp, 0, prefetch, ref c00, ref c01, ref c02, ref c03, ref c10, ref c11, ref c12, ref c13,
                        ref c20, ref c21, ref c22, ref c23, ref c30, ref c31, ref c32, ref c33,
                        ref c40, ref c41, ref c42, ref c43, ref c50, ref c51, ref c52, ref c53);
        SaveRow(sums, c00, c01, c02, c03);
        if (rows > 1) SaveRow(sums + nr, c10, c11, c12, c13);
        if (rows > 2) SaveRow(sums + 2 * nr, c20, c21, c22, c23);
        if (rows > 3) SaveRow(sums + 3 * nr, c30, c31, c32, c33);
        if (rows > 4) SaveRow(sums + 4 * nr, c40, c41, c42, c43);
        if (rows > 5) SaveRow(sums + 5 * nr, c50, c51, c52, c53);
    }

    /// <summary>
    /// k-step <paramref name="k"/> (a constant where inlined) from the panel pointers: c_rv += Ap[k, r] · Bp[k, v·Count..]
    /// for r &lt; R and each of the GemmVectors vectors.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Step<TRows>(float* ap, float* bp, int k, bool prefetch,
        ref TVec c00, ref TVec c01, ref TVec c02, ref TVec c03, ref TVec c10, ref TVec c11, ref TVec c12, ref TVec c13,
        ref TVec c20, ref TVec c21, ref TVec c22, ref TVec c23, ref TVec c30, ref TVec c31, ref TVec c32, ref TVec c33,
        ref TVec c40, ref TVec c41, ref TVec c42, ref TVec c43, ref TVec c50, ref TVec c51, ref TVec c52, ref TVec c53)
        where TRows : struct, IRows
    {
        int rows = TRows.Value;
        bool wide = TOps.GemmVectors > 2;
        int w = TOps.Count;
        int nr = TOps.GemmVectors * w;
        int a0 = k * rows, b0ff = k * nr;
        if (prefetch)
        {
            // B streams from L2 (or L3 for a large packed weight): ask for it a few k-steps ahead.
            Sse.Prefetch0(bp + (b0ff + PrefetchSteps * nr));
            if (nr > 16) Sse.Prefetch0(bp + (b0ff + PrefetchSteps * nr + 16));
            if (nr > 32) Sse.Prefetch0(bp + (b0ff + PrefetchSteps * nr + 32));
            if (nr > 48) Sse.Prefetch0(bp + (b0ff + PrefetchSteps * nr + 48));
        }
        TVec b0 = TOps.Load(bp + b0ff);
        TVec b1 = TOps.Load(bp + (b0ff + w));
        TVec b2 = wide ? TOps.Load(bp + (b0ff + 2 * w)) : TOps.Zero;
        TVec b3 = wide ? TOps.Load(bp + (b0ff + 3 * w)) : TOps.Zero;
        TVec a = TOps.BroadcastFrom(ap + a0);
        c00 = TOps.MultiplyAdd(a, b0, c00); c01 = TOps.MultiplyAdd(a, b1, c01);
        if (wide) { c02 = TOps.MultiplyAdd(a, b2, c02); c03 = TOps.MultiplyAdd(a, b3, c03); }
        if (rows > 1)
        {
            a = TOps.BroadcastFrom(ap + (a0 + 1));
            c10 = TOps.MultiplyAdd(a, b0, c10); c11 = TOps.MultiplyAdd(a, b1, c11);
            if (wide) { c12 = TOps.MultiplyAdd(a, b2, c12); c13 = TOps.MultiplyAdd(a, b3, c13); }
        }
        if (rows > 2)
        {
            a = TOps.BroadcastFrom(ap + (a0 + 2));
            c20 = TOps.MultiplyAdd(a, b0, c20); c21 = TOps.MultiplyAdd(a, b1, c21);
            if (wide) { c22 = TOps.MultiplyAdd(a, b2, c22); c23 = TOps.MultiplyAdd(a, b3, c23); }
        }
        if (rows > 3)
        {
            a = TOps.BroadcastFrom(ap + (a0 + 3));
            c30 = TOps.MultiplyAdd(a, b0, c30); c31 = TOps.MultiplyAdd(a, b1, c31);
            if (wide) { c32 = TOps.MultiplyAdd(a, b2, c32); c33 = TOps.MultiplyAdd(a, b3, c33); }
        }
        if (rows > 4)
        {
            a = TOps.BroadcastFrom(ap + (a0 + 4));
            c40 = TOps.MultiplyAdd(a, b0, c40); c41 = TOps.MultiplyAdd(a, b1, c41);
            if (wide) { c42 = TOps.MultiplyAdd(a, b2, c42); c43 = TOps.MultiplyAdd(a, b3, c43); }
        }
        if (rows > 5)
        {
            a = TOps.BroadcastFrom(ap + (a0 + 5));
            c50 = TOps.MultiplyAdd(a, b0, c50); c51 = TOps.MultiplyAdd(a, b1, c51);
            if (wide) { c52 = TOps.MultiplyAdd(a, b2, c52); c53 = TOps.MultiplyAdd(a, b3, c53); }
        }
    }

    /// <summary>
    /// Asks for the C tile's cache lines early, so that its update at the end of the K loop does not stall: every line
    /// of each row's NR floats, the last one included (a row of C need not start on a cache line).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchTile(float* c, int ldc, int rows, int nr)
    {
        if (!Sse.IsSupported)
            return;
        for (int r = 0; r < rows; r++)
        {
            float* row = c + (long)r * ldc;
            for (int j = 0; j < nr; j += 16)
                Sse.Prefetch0(row + j);
            Sse.Prefetch0(row + nr - 1);
        }
    }

    /// <summary>Writes one row of accumulators (GemmVectors of them) to <paramref name="sums"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void SaveRow(float* sums, TVec x0, TVec x1, TVec x2, TVec x3)
    {
        int w = TOps.Count;
        TOps.Store(sums, x0);
        TOps.Store(sums + w, x1);
        if (TOps.GemmVectors > 2)
        {
            TOps.Store(sums + 2 * w, x2);
            TOps.Store(sums + 3 * w, x3);
        }
    }

    /// <summary>c[j] = alpha · sums[j] + beta · c[j] for j in [col0, cols) (beta = 0: alpha · sums[j]); vector and scalar forms round alike.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void StoreRow(float* c, float* sums, float alpha, float beta, bool full, int col0, int cols)
    {
        int w = TOps.Count;
        int nr = NR;
        if (full)
        {
            TVec va = TOps.Broadcast(alpha);
            if (beta == 0f)
            {
                for (int j = 0; j < nr; j += w)
                    TOps.Store(c + j, TOps.Multiply(TOps.Load(sums + j), va));
            }
            else
            {
                TVec vb = TOps.Broadcast(beta);
                for (int j = 0; j < nr; j += w)
                    TOps.Store(c + j, TOps.MultiplyAdd(TOps.Load(sums + j), va, TOps.Multiply(vb, TOps.Load(c + j))));
            }
            return;
        }
        if (beta == 0f)
        {
            for (int j = col0; j < cols; j++)
                c[j] = sums[j] * alpha;
        }
        else
        {
            for (int j = col0; j < cols; j++)
                c[j] = float.MultiplyAddEstimate(sums[j], alpha, beta * c[j]);
        }
    }

    /// <summary>Runs the tile kernel for 1..MR rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Tile(int rows, float* ap, float* bp, int kc, float* c, int ldc, float alpha, float beta,
        int col0, int cols, float* scratch)
    {
        switch (rows)
        {
            case 6: Tile<Rows6>(ap, bp, kc, c, ldc, alpha, beta, col0, cols, scratch); break;
            case 5: Tile<Rows5>(ap, bp, kc, c, ldc, alpha, beta, col0, cols, scratch); break;
            case 4: Tile<Rows4>(ap, bp, kc, c, ldc, alpha, beta, col0, cols, scratch); break;
            case 3: Tile<Rows3>(ap, bp, kc, c, ldc, alpha, beta, col0, cols, scratch); break;
            case 2: Tile<Rows2>(ap, bp, kc, c, ldc, alpha, beta, col0, cols, scratch); break;
            default: Tile<Rows1>(ap, bp, kc, c, ldc, alpha, beta, col0, cols, scratch); break;
        }
    }

    /// <summary>Rows of a (K indices) a transposed A is packed by at a time.</summary>
    private const int TransposedBand = 32;

    /// <summary>
    /// Packs rows [i0, i0+mc) × columns [p0, p0+kc) of op(A) into MR-row panels: panel q holds rows
    /// i0+q·MR.. (R = min(MR, rest) of them), element (p, r) at q·MR·kc + p·R + r.
    /// </summary>
    public static void PackA(bool transA, float* a, int lda, int i0, int mc, int p0, int kc, float* ap)
    {
        int whole = mc / MR * MR;
        if (transA)
        {
            // op(A)[i, p] = a[p·lda + i]: each p copies 6 contiguous values, as 4 + 2. Bands of TransposedBand rows of a,
            // panel by panel: a panel reads the next 24 bytes of the band's rows, whose lines the previous panel brought
            // into L1, and each row is a stream the prefetcher follows. Panel by panel over all kc rows (a page or more
            // apart) ran three times slower on AVX2 (15–21 against 8 ms for a thread's 256 columns of K = 32768).
            for (int pb = 0; pb < kc; pb += TransposedBand)
            {
                int pe = Math.Min(kc, pb + TransposedBand);
                for (int q = 0; q < whole; q += MR)
                {
                    float* src = a + (long)(p0 + pb) * lda + i0 + q;
                    float* d = ap + q * kc + pb * MR;
                    for (int p = pb; p < pe; p++, src += lda, d += MR)
                    {
                        Vector128.Store(Vector128.Load(src), d);
                        *(long*)(d + 4) = *(long*)(src + 4);
                    }
                }
            }
        }
        for (int q = transA ? whole : 0; q < mc; q += MR)
        {
            int rows = Math.Min(MR, mc - q);
            float* dst = ap + q * kc;
            if (!transA && rows == MR && Sse.IsSupported)
            {
                PackSixRows(a + (long)(i0 + q) * lda + p0, lda, kc, dst);
            }
            else if (transA)
            {
                // The last, partial panel: each p reads R contiguous values.
                for (int p = 0; p < kc; p++)
                {
                    float* src = a + (long)(p0 + p) * lda + i0 + q;
                    for (int r = 0; r < rows; r++)
                        dst[p * rows + r] = src[r];
                }
            }
            else
            {
                for (int r = 0; r < rows; r++)
                {
                    float* src = a + (long)(i0 + q + r) * lda + p0;
                    for (int p = 0; p < kc; p++)
                        dst[p * rows + r] = src[p];
                }
            }
        }
    }

    /// <summary>
    /// Interleaves six rows (stride lda) into a panel, element (p, r) at p·6 + r: four columns at a time,
    /// a 4×4 transpose of rows 0..3 plus pairs of rows 4 and 5.
    /// </summary>
    private static void PackSixRows(float* src, int lda, int kc, float* dst)
    {
        float* s0 = src, s1 = s0 + lda, s2 = s1 + lda, s3 = s2 + lda, s4 = s3 + lda, s5 = s4 + lda;
        int p = 0;
        for (; p + 4 <= kc; p += 4)
        {
            if ((p & 15) == 0)
            {
                // Each row is its own stream from L2 or L3: ask for the line four ahead of the one being read.
                Sse.Prefetch0(s0 + p + 64); Sse.Prefetch0(s1 + p + 64); Sse.Prefetch0(s2 + p + 64);
                Sse.Prefetch0(s3 + p + 64); Sse.Prefetch0(s4 + p + 64); Sse.Prefetch0(s5 + p + 64);
            }
            var r0 = Sse.LoadVector128(s0 + p);
            var r1 = Sse.LoadVector128(s1 + p);
            var r2 = Sse.LoadVector128(s2 + p);
            var r3 = Sse.LoadVector128(s3 + p);
            var r4 = Sse.LoadVector128(s4 + p);
            var r5 = Sse.LoadVector128(s5 + p);
            var t0 = Sse.UnpackLow(r0, r1);    // r0[0] r1[0] r0[1] r1[1]
            var t1 = Sse.UnpackLow(r2, r3);    // r2[0] r3[0] r2[1] r3[1]
            var t2 = Sse.UnpackHigh(r0, r1);   // r0[2] r1[2] r0[3] r1[3]
            var t3 = Sse.UnpackHigh(r2, r3);   // r2[2] r3[2] r2[3] r3[3]
            var lo45 = Sse.UnpackLow(r4, r5);  // r4[0] r5[0] r4[1] r5[1]
            var hi45 = Sse.UnpackHigh(r4, r5); // r4[2] r5[2] r4[3] r5[3]
            float* d = dst + p * 6;
            Sse.Store(d, Sse.MoveLowToHigh(t0, t1));
            Sse.StoreLow(d + 4, lo45);
            Sse.Store(d + 6, Sse.MoveHighToLow(t1, t0));
            Sse.StoreHigh(d + 10, lo45);
            Sse.Store(d + 12, Sse.MoveLowToHigh(t2, t3));
            Sse.StoreLow(d + 16, hi45);
            Sse.Store(d + 18, Sse.MoveHighToLow(t3, t2));
            Sse.StoreHigh(d + 22, hi45);
        }
        for (; p < kc; p++)
        {
            float* d = dst + p * 6;
            d[0] = s0[p]; d[1] = s1[p]; d[2] = s2[p]; d[3] = s3[p]; d[4] = s4[p]; d[5] = s5[p];
        }
    }

    /// <summary>
    /// Packs rows [p0, p0+kc) × columns [j0, j0+nc) of op(B) into NR-column panels, zero-padded:
    /// element (p, j) at (j / NR)·kc·NR + p·NR + j % NR.
    /// </summary>
    public static void PackB(bool transB, float* b, int ldb, int p0, int kc, int j0, int nc, float* bp)
    {
        int nr = NR;
        int w = TOps.Count;
        int q = 0;
        if (!transB)
        {
            // Whole panels row by row: each stored row of B is read once, left to right, and its NR-float pieces go to
            // their panels. Panel by panel instead would read kc rows a page apart for every panel.
            int wholeCols = nc / nr * nr;
            for (int p = 0; p < kc && wholeCols > 0; p++)
            {
                float* src = b + (long)(p0 + p) * ldb + j0;
                float* d = bp + p * nr;
                for (int j = 0; j < wholeCols; j += nr, d += (long)kc * nr)
                {
                    // Two rows ahead: B comes from L3 or memory, and its rows lie a page or more apart.
                    if (Sse.IsSupported && p + 2 < kc)
                    {
                        for (int v = 0; v < nr; v += 16)
                            Sse.Prefetch0(src + 2L * ldb + j + v);
                    }
                    for (int v = 0; v < nr; v += w)
                        TOps.Store(d + v, TOps.Load(src + j + v));
                }
            }
            q = wholeCols;
        }
        for (; q < nc; q += nr)
        {
            int cols = Math.Min(nr, nc - q);
            float* dst = bp + (long)q * kc;
            if (transB)
            {
                // op(B)[p, j] = b[j·ldb + p]: read each stored row contiguously, write down a panel column.
                for (int j = 0; j < cols; j++)
                {
                    float* src = b + (long)(j0 + q + j) * ldb + p0;
                    for (int p = 0; p < kc; p++)
                        dst[p * nr + j] = src[p];
                }
                for (int j = cols; j < nr; j++)
                    for (int p = 0; p < kc; p++)
                        dst[p * nr + j] = 0f;
            }
            else
            {
                for (int p = 0; p < kc; p++)
                {
                    float* src = b + (long)(p0 + p) * ldb + j0 + q;
                    float* d = dst + p * nr;
                    for (int j = 0; j < cols; j++)
                        d[j] = src[j];
                    for (int j = cols; j < nr; j++)
                        d[j] = 0f;
                }
            }
        }
    }
}
