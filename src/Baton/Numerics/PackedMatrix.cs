using System.Runtime.Intrinsics;

namespace Baton.Numerics;

/// <summary>
/// op(B) (K × N) packed once into the GEMM kernel's column panels, for a matrix that multiplies
/// many left-hand sides: the recurrent weights W_hh [N = G·H, K = H] used as W_hhᵀ at every time step
/// (pack with <c>transB: true</c>). Repack in place with <see cref="Pack"/> after each weight update;
/// packing allocates nothing. Use it with
/// <see cref="Gemm.Sgemm(int, float, ReadOnlySpan{float}, int, PackedMatrix, float, Span{float}, int)"/>.
/// </summary>
internal sealed unsafe class PackedMatrix
{
    private readonly float[] storage;

    /// <summary>An empty (zero) packed K × N matrix; fill it with <see cref="Pack"/>.</summary>
    public PackedMatrix(int k, int n)
        : this(k, n, SimdPaths.Best)
    {
    }

    /// <summary>Packs op(B): B is k × n row-major (stride <paramref name="ldb"/>), or n × k when <paramref name="transB"/>.</summary>
    public PackedMatrix(ReadOnlySpan<float> b, int ldb, int k, int n, bool transB)
        : this(k, n)
    {
        Pack(b, ldb, transB);
    }

    internal PackedMatrix(int k, int n, SimdPath path)
        : this(k, n, path, Floats(k, n, Gemm.PanelWidth(path)))
    {
    }

    private PackedMatrix(int k, int n, SimdPath path, long floats)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        ArgumentOutOfRangeException.ThrowIfNegative(n);
        K = k;
        N = n;
        Path = path;
        PanelWidth = Gemm.PanelWidth(path);
        if (floats > Array.MaxLength - 16)
            throw new ArgumentOutOfRangeException(nameof(n), "The packed matrix is too large.");
        Pointer = GemmBuffers.Allocate((int)floats, out storage);
        new Span<float>(Pointer, (int)floats).Clear();
    }

    /// <summary>A K × N packing in <paramref name="shared"/>'s storage (see <see cref="SharingStorage"/>).</summary>
    private PackedMatrix(int k, int n, PackedMatrix shared)
    {
        K = k;
        N = n;
        Path = shared.Path;
        PanelWidth = shared.PanelWidth;
        storage = shared.storage;
        Pointer = shared.Pointer;
    }

    /// <summary>Floats of a packed k × n matrix: n rounded up to whole panels, times k.</summary>
    private static long Floats(int k, int n, int panelWidth) => (long)(n + panelWidth - 1) / panelWidth * panelWidth * k;

    /// <summary>
    /// A k × n and an n × k packing in one storage, sized for the larger: op(W) for the forward products and its
    /// transpose for the backward ones, which are never used at once (a recurrent layer packs W_hhᵀ at each Forward and
    /// W_hh at each Backward), so one weight-sized buffer serves both. Packing either overwrites the other.
    /// </summary>
    internal static (PackedMatrix First, PackedMatrix Second) SharingStorage(int k, int n)
    {
        var path = SimdPaths.Best;
        int panelWidth = Gemm.PanelWidth(path);
        var first = new PackedMatrix(k, n, path, Math.Max(Floats(k, n, panelWidth), Floats(n, k, panelWidth)));
        return (first, new PackedMatrix(n, k, first));
    }

    /// <summary>Rows of op(B): the inner dimension of the product.</summary>
    public int K { get; }

    /// <summary>Columns of op(B): the columns of the product.</summary>
    public int N { get; }

    internal SimdPath Path { get; }

    internal int PanelWidth { get; }

    internal float* Pointer { get; }

    /// <summary>
    /// Repacks op(B) in place from B (k × n row-major with stride <paramref name="ldb"/>, or n × k when
    /// <paramref name="transB"/>; a PyTorch weight [out, in] used as Wᵀ is the transB case).
    /// </summary>
    public void Pack(ReadOnlySpan<float> b, int ldb, bool transB)
    {
        int rows = transB ? N : K;
        int cols = transB ? K : N;
        Gemm.CheckMatrix(b, rows, cols, ldb, nameof(b), nameof(ldb));
        GC.KeepAlive(storage);
        fixed (float* pb = b)
        {
            switch (Path)
            {
                case SimdPath.Vector512: GemmKernel<Simd512, Vector512<float>>.PackB(transB, pb, ldb, 0, K, 0, N, Pointer); break;
                case SimdPath.Vector256: GemmKernel<Simd256, Vector256<float>>.PackB(transB, pb, ldb, 0, K, 0, N, Pointer); break;
                case SimdPath.Vector128: GemmKernel<Simd128, Vector128<float>>.PackB(transB, pb, ldb, 0, K, 0, N, Pointer); break;
                default: GemmKernel<SimdScalar, float>.PackB(transB, pb, ldb, 0, K, 0, N, Pointer); break;
            }
        }
    }
}
