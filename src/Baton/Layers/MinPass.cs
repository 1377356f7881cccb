using Baton.Numerics;

namespace Baton.Layers;

/// <summary>
/// One pass of <see cref="MinKernels"/> over all T steps of a <c>[T, B, H]</c> batch, split over threads by channels
/// (b, j): a channel's steps depend on each other, so each thread runs its own channels through all T steps, which
/// lets the scan share the pass with the elementwise math. Channels go out in units of <see cref="UnitWidth"/> units
/// of one row, a whole number of vectors of every width, so no split moves where a scalar tail falls and the
/// results never depend on the thread count.
/// </summary>
internal sealed unsafe class MinPass : IParallelWork
{
    public enum Mode
    {
        /// <summary>Forward: coefficients and the scan, h_t = a_t ⊙ h_{t−1} + b_t.</summary>
        Scan,
        /// <summary>Forward: each part projects its own channels' rows, a block of steps at a time, then runs
        /// <see cref="Scan"/> over them.</summary>
        ProjectScan,
        /// <summary>Forward without the scan: a_t and b_t stored, for a separate <see cref="LinearScan"/>.</summary>
        Coefficients,
        /// <summary>Backward: the reversed scan and the gradients of the projection.</summary>
        ScanBackward,
        /// <summary>Backward after a separate reversed scan: the gradients of the projection only.</summary>
        Gradients,
    }

    /// <summary>Hidden units per unit of work.</summary>
    public const int UnitWidth = 16;

    private readonly MinKernels kernels;
    private Mode mode;
    private int T, B, H, I;
    private float* pre, bias, h0, h, a, dh, dpre, sums, gNext, aNext, x;
    private int* cuts;
    private PackedMatrix? weight;

    public MinPass(MinKernels kernels) => this.kernels = kernels;

    /// <summary>The instantiation that runs (tests pin it).</summary>
    public SimdPath Path { get; set; } = SimdPaths.Best;

    /// <summary>Units of work for a batch of <paramref name="B"/> rows of <paramref name="H"/>.</summary>
    public static int Units(int B, int H) => B * ((H + UnitWidth - 1) / UnitWidth);

    /// <summary>
    /// <see cref="Mode.Scan"/> (a null) or <see cref="Mode.Coefficients"/> (a <c>[T, B, H]</c>, b stored in h for a
    /// separate scan). pre: <c>[T·B, G·H]</c> without bias, turned into the activations; bias: <c>[G·H]</c>; h0:
    /// <c>[B, H]</c> (zeros for none); h: <c>[T, B, H]</c>.
    /// </summary>
    public void Forward(float* pre, float* bias, float* h0, float* h, float* a, int T, int B, int H, int parts)
    {
        mode = a == null ? Mode.Scan : Mode.Coefficients;
        this.pre = pre;
        this.bias = bias;
        this.h0 = h0;
        this.h = h;
        this.a = a;
        SetShape(T, B, H);
        Run(parts);
    }

    /// <summary>
    /// <see cref="Mode.ScanBackward"/> (carries gNext, aNext <c>[B, H]</c> set to the state after step T − 1, cuts
    /// <c>[B]</c> or null) or <see cref="Mode.Gradients"/> (gNext null; dh holds the scanned g). h: the forward's h;
    /// dh: <c>[T, B, H]</c>; dpre: <c>[T·B, G·H]</c> overwritten; sums: <c>[B, G·H]</c>, accumulated.
    /// </summary>
    public void Backward(float* pre, float* h0, float* h, float* dh, float* gNext, float* aNext, int* cuts,
        float* dpre, float* sums, int T, int B, int H, int parts)
    {
        mode = gNext == null ? Mode.Gradients : Mode.ScanBackward;
        this.pre = pre;
        bias = null;
        this.h0 = h0;
        this.h = h;
        this.dh = dh;
        this.gNext = gNext;
        this.aNext = aNext;
        this.cuts = cuts;
        this.dpre = dpre;
        this.sums = sums;
        SetShape(T, B, H);
        Run(parts);
    }

    /// <summary>
    /// <see cref="Mode.ProjectScan"/>: pre = x · Wᵀ (x: <c>[T·B, I]</c>; <paramref name="weight"/>: Wᵀ packed, I × G·H),
    /// computed by each part for the rows of the channels it scans, a block of steps at a time, then <see cref="Mode.Scan"/>
    /// over them while they are in its cache. bias: <c>[G·H]</c>; h0: <c>[B, H]</c> (zeros for none); h: <c>[T, B, H]</c>.
    /// Each element of pre is computed exactly as by the whole product.
    /// </summary>
    public void Forward(float* x, PackedMatrix weight, float* pre, float* bias, float* h0, float* h, int T, int B, int H, int parts)
    {
        mode = Mode.ProjectScan;
        this.x = x;
        this.weight = weight;
        I = weight.K;
        this.pre = pre;
        this.bias = bias;
        this.h0 = h0;
        this.h = h;
        a = null;
        SetShape(T, B, H);
        Run(parts);
    }

    /// <summary>Bytes of a part's projection rows a block of <see cref="Mode.ProjectScan"/> keeps in cache (its L2, or L3 where L2 is smaller).</summary>
    private const int ProjectBlockBytes = 1 << 20;

    private void SetShape(int T, int B, int H)
    {
        this.T = T;
        this.B = B;
        this.H = H;
    }

    private void Run(int parts)
    {
        try
        {
            WorkerPool.Shared.Run(this, Math.Clamp(parts, 1, Math.Max(1, Units(B, H))));
        }
        finally
        {
            pre = bias = h0 = h = a = dh = dpre = sums = gNext = aNext = x = null;
            cuts = null;
            weight = null;
        }
    }

    public void Execute(int index, int count)
    {
        int total = Units(B, H);
        int u0 = (int)((long)total * index / count), u1 = (int)((long)total * (index + 1) / count);
        if (u1 <= u0)
            return;
        if (mode == Mode.ProjectScan)
            ProjectAndScan(u0, u1);
        else if (mode is Mode.Scan or Mode.Coefficients)
            for (int t = 0; t < T; t++)
                Step(t, u0, u1);
        else
            for (int t = T - 1; t >= 0; t--)
                Step(t, u0, u1);
    }

    // Blocks of steps: the projection rows of units [u0, u1) (rows b at a stride of B rows, so one product per row b
    // and block; the gate columns of a row's part of units where the part holds only some of them), then the scan.
    private void ProjectAndScan(int u0, int u1)
    {
        int perRow = (H + UnitWidth - 1) / UnitWidth, G = kernels.Chunks, GH = G * H;
        int rowsHeld = (u1 - u0 + perRow - 1) / perRow + 1;
        // Whole micro-tiles of rows per product.
        const int MR = GemmKernel<SimdScalar, float>.MR;
        int steps = Math.Clamp(ProjectBlockBytes / (rowsHeld * GH * sizeof(float)) / MR * MR, MR, 8 * MR);
        var packed = weight!;
        for (int t0 = 0; t0 < T; t0 += steps)
        {
            int t1 = Math.Min(T, t0 + steps), m = t1 - t0;
            for (int u = u0; u < u1;)
            {
                var (b, end, j0, j1) = Segment(u, u1, perRow);
                long row = (long)t0 * B + b;
                var xs = new ReadOnlySpan<float>(x + row * I, (m - 1) * B * I + I);
                var cs = new Span<float>(pre + row * GH, (m - 1) * B * GH + GH);
                // Rounded by 384-deep slices, as the whole product and a streaming step's product are.
                if (j0 == 0 && j1 == H)
                    Gemm.Sgemm(m, 1f, xs, B * I, packed, 0f, cs, B * GH, 0, GH, 1, GH, bySlice: true);
                else
                    Gemm.Sgemm(m, 1f, xs, B * I, packed, 0f, cs, B * GH, j0, j1 - j0, G, H, bySlice: true);
                u = end;
            }
            for (int t = t0; t < t1; t++)
                Step(t, u0, u1);
        }
    }

    // The run of units from u that lies in one row b, up to u1: its end and its hidden units [j0, j1).
    private (int B, int End, int J0, int J1) Segment(int u, int u1, int perRow)
    {
        int b = u / perRow, end = Math.Min(u1, (b + 1) * perRow);
        return (b, end, (u - b * perRow) * UnitWidth, Math.Min(H, (end - b * perRow) * UnitWidth));
    }

    // Step t of units [u0, u1), row by row.
    private void Step(int t, int u0, int u1)
    {
        int perRow = (H + UnitWidth - 1) / UnitWidth, GH = kernels.Chunks * H;
        for (int u = u0; u < u1;)
        {
            var (b, end, j0, j1) = Segment(u, u1, perRow);
            long row = (long)t * B + b;
            float* prev = t > 0 ? h + (row - B) * H : h0 + (long)b * H;
            switch (mode)
            {
                case Mode.Scan or Mode.ProjectScan:
                    kernels.Forward(Path, pre + row * GH, bias, prev, h + row * H, null, H, j0, j1);
                    break;
                case Mode.Coefficients:
                    kernels.Forward(Path, pre + row * GH, bias, prev, h + row * H, a + row * H, H, j0, j1);
                    break;
                case Mode.ScanBackward:
                    kernels.Backward(Path, pre + row * GH, prev, dh + row * H, gNext + (long)b * H, aNext + (long)b * H,
                        cuts != null && cuts[b] == t, dpre + row * GH, sums + (long)b * GH, H, j0, j1);
                    break;
                default:
                    kernels.Backward(Path, pre + row * GH, prev, dh + row * H, null, null, false,
                        dpre + row * GH, sums + (long)b * GH, H, j0, j1);
                    break;
            }
            u = end;
        }
    }
}
