using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Baton.Numerics;

namespace Baton.Layers;

/// <summary>
/// The fused elementwise loops of a min cell over a segment [j0, j1) of one row: whole vectors of the chosen
/// width, then the rest through the scalar twin. Stateless, so streaming steps may share them;
/// <see cref="MinPass"/> drives them over rows, steps and threads.
/// </summary>
internal abstract unsafe class MinKernels
{
    /// <summary>H-wide chunks of a projection row.</summary>
    public abstract int Chunks { get; }

    /// <summary>
    /// One forward step: the projection row <paramref name="pre"/> (bias added) becomes the cell's activations in place
    /// (chunk 0 g(k) tagged with its branch, see <see cref="MinActivations.Tagged"/>; the gates σ), which
    /// <see cref="Backward"/> reads; from them the coefficients a, b and h = a ⊙ prev + b, or, when <paramref name="a"/>
    /// is not null, a and b stored as they are (h ← b) for a separate scan. <paramref name="h"/> may alias <paramref name="prev"/>.
    /// </summary>
    public abstract void Forward(SimdPath path, float* pre, float* bias, float* prev, float* h, float* a, int H, int j0, int j1);

    /// <summary>
    /// One reversed step. With carries (<paramref name="gNext"/>, <paramref name="aNext"/> not null) it is the fused
    /// reversed scan: g = aNext ⊙ gNext + dh, then gNext ← g and aNext ← a_t (0 at a cut, which detaches the state
    /// entering this step). Without, dh already holds the scanned g. Either way ∂L/∂pre goes to <paramref name="dpre"/>
    /// and is added to <paramref name="sums"/>; prev is h_{t−1}; <paramref name="act"/> is the row as
    /// <see cref="Forward"/> left it.
    /// </summary>
    public abstract void Backward(SimdPath path, float* act, float* prev, float* dh, float* gNext, float* aNext,
        bool cut, float* dpre, float* sums, int H, int j0, int j1);
}

/// <summary><see cref="MinKernels"/> for the cell math <typeparamref name="TCell"/>.</summary>
internal sealed unsafe class MinKernels<TCell> : MinKernels where TCell : struct, IMinCell
{
    public static MinKernels<TCell> Instance { get; } = new();

    public override int Chunks => TCell.Chunks;

    public override void Forward(SimdPath path, float* pre, float* bias, float* prev, float* h, float* a, int H, int j0, int j1)
    {
        switch (path)
        {
            case SimdPath.Vector512: Forward<Simd512, Vector512<float>>(pre, bias, prev, h, a, H, j0, j1); break;
            case SimdPath.Vector256: Forward<Simd256, Vector256<float>>(pre, bias, prev, h, a, H, j0, j1); break;
            case SimdPath.Vector128: Forward<Simd128, Vector128<float>>(pre, bias, prev, h, a, H, j0, j1); break;
            default: Forward<SimdScalar, float>(pre, bias, prev, h, a, H, j0, j1); break;
        }
    }

    public override void Backward(SimdPath path, float* act, float* prev, float* dh, float* gNext, float* aNext,
        bool cut, float* dpre, float* sums, int H, int j0, int j1)
    {
        int j = path switch
        {
            SimdPath.Vector512 => Backward<Simd512, Vector512<float>>(act, prev, dh, gNext, aNext, cut, dpre, sums, H, j0, j1),
            SimdPath.Vector256 => Backward<Simd256, Vector256<float>>(act, prev, dh, gNext, aNext, cut, dpre, sums, H, j0, j1),
            SimdPath.Vector128 => Backward<Simd128, Vector128<float>>(act, prev, dh, gNext, aNext, cut, dpre, sums, H, j0, j1),
            _ => j0,
        };
        Backward<SimdScalar, float>(act, prev, dh, gNext, aNext, cut, dpre, sums, H, j, j1);
    }

    // The activations chunk by chunk, each in its own loop (one σ's constants in registers at a time: two in one
    // loop body spill on 16 registers), then the coefficients and the step from them; whole vectors, then the scalar
    // twin for the rest.
    private static void Forward<TOps, TVec>(float* pre, float* bias, float* prev, float* h, float* a, int H, int j0, int j1)
        where TOps : struct, ISimdOps<TVec> where TVec : struct
    {
        int j = Activate<TOps, TVec>(pre, bias, H, j0, j1);
        Activate<SimdScalar, float>(pre, bias, H, j, j1);
        j = Step<TOps, TVec>(pre, prev, h, a, H, j0, j1);
        Step<SimdScalar, float>(pre, prev, h, a, H, j, j1);
    }

    /// <summary>Chunk 0 to g(k) tagged with its branch, the others to σ, in place, bias added; returns where the vectors stopped.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Activate<TOps, TVec>(float* pre, float* bias, int H, int j0, int j1)
        where TOps : struct, ISimdOps<TVec> where TVec : struct
    {
        int w = TOps.Count, j = j0;
        for (; j <= j1 - w; j += w)
            TOps.Store(pre + j, MinActivations.Tagged<TOps, TVec>(TOps.Add(TOps.Load(pre + j), TOps.Load(bias + j))));
        for (int c = 1; c < TCell.Chunks; c++)
        {
            float* p = pre + c * H, q = bias + c * H;
            for (int i = j0; i < j; i += w)
                TOps.Store(p + i, VectorMath<TOps, TVec>.Sigmoid(TOps.Add(TOps.Load(p + i), TOps.Load(q + i))));
        }
        return j;
    }

    /// <summary>h = a ⊙ prev + b from the activations (or a and b stored for a separate scan); returns where the vectors stopped.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Step<TOps, TVec>(float* act, float* prev, float* h, float* a, int H, int j, int j1)
        where TOps : struct, ISimdOps<TVec> where TVec : struct
    {
        int w = TOps.Count;
        if (a != null)
        {
            for (; j <= j1 - w; j += w)
            {
                TCell.Coefficients<TOps, TVec>(act + j, H, out TVec av, out TVec bv);
                TOps.Store(a + j, av);
                TOps.Store(h + j, bv);
            }
            return j;
        }
        for (; j <= j1 - w; j += w)
        {
            TCell.Coefficients<TOps, TVec>(act + j, H, out TVec av, out TVec bv);
            TOps.Store(h + j, TOps.MultiplyAdd(av, TOps.Load(prev + j), bv));
        }
        return j;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Backward<TOps, TVec>(float* act, float* prev, float* dh, float* gNext, float* aNext,
        bool cut, float* dpre, float* sums, int H, int j, int j1)
        where TOps : struct, ISimdOps<TVec> where TVec : struct
    {
        int w = TOps.Count;
        if (gNext == null)
        {
            for (; j <= j1 - w; j += w)
                TCell.Gradients<TOps, TVec>(act + j, H, TOps.Load(dh + j), TOps.Load(prev + j), dpre + j, sums + j);
            return j;
        }
        for (; j <= j1 - w; j += w)
        {
            var g = TOps.MultiplyAdd(TOps.Load(aNext + j), TOps.Load(gNext + j), TOps.Load(dh + j));
            var a = TCell.Gradients<TOps, TVec>(act + j, H, g, TOps.Load(prev + j), dpre + j, sums + j);
            TOps.Store(gNext + j, g);
            TOps.Store(aNext + j, cut ? TOps.Zero : a);
        }
        return j;
    }
}
