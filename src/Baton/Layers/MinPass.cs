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
    private int T, B, H;
    private float* pre, bias, h0, h, a, dh, dpre, sums, gNext, aNext;
    private int* cuts;

    public MinPass(MinKernels kernels) => this.kernels = kernels;

    /// <summary>The instantiation that runs (tests pin it).</summary>
    public SimdPath Path { get; set; } = SimdPaths.Best;

    /// <summary>Units of work for a batch of <paramref name="B"/> rows of <paramref name="H"/>.</summary>
    public static int Units(int B, int H) => B * ((H + UnitWidth - 1) / UnitWidth);

    /// <summary>
    /// <see cref="Mode.Scan"/> (a null) or <see cref="Mode.Coefficients"/> (a <c>[T, B, H]</c>). pre: <c>[T·B, G·H]</c>
    /// without bias; bias: <c>[G·H]</c>; h0: <c>[B, H]</c> (zeros for none); h: <c>[T, B, H]</c>.
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
            pre = bias = h0 = h = a = dh = dpre = sums = gNext = aNext = null;
            cuts = null;
        }
    }

    public void Execute(int index, int count)
    {
        int total = Units(B, H);
        int u0 = (int)((long)total * index / count), u1 = (int)((long)total * (index + 1) / count);
        if (u1 <= u0)
            return;
        if (mode is Mode.Scan or Mode.Coefficients)
            for (int t = 0; t < T; t++)
                Step(t, u0, u1);
        else
            for (int t = T - 1; t >= 0; t--)
                Step(t, u0, u1);
    }

    // Step t of units [u0, u1), row by row.
    private void Step(int t, int u0, int u1)
    {
        int perRow = (H + UnitWidth - 1) / UnitWidth, GH = kernels.Chunks * H;
        for (int u = u0; u < u1;)
        {
            int b = u / perRow, end = Math.Min(u1, (b + 1) * perRow);
            int j0 = (u - b * perRow) * UnitWidth, j1 = Math.Min(H, (end - b * perRow) * UnitWidth);
            long row = (long)t * B + b;
            float* prev = t > 0 ? h + (row - B) * H : h0 + (long)b * H;
            switch (mode)
            {
                case Mode.Scan:
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
