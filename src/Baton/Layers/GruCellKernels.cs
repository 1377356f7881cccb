using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Baton.Numerics;

namespace Baton.Layers;

/// <summary>
/// The GRU cell's elementwise math over units [0, n) of one row in a single pass: whole vectors of the chosen width,
/// then the rest through the scalar twin. Each value is computed by the same operations, in the same order, as one
/// <see cref="Activations"/> / TensorPrimitives call per quantity would, so the result does not depend on the fusion.
/// <c>g</c> and <c>gh</c> point at unit j0 of gate r of a [3H] row; z and n lie H and 2H further on.
/// </summary>
internal static unsafe class GruCellKernels
{
    /// <summary>
    /// g: input-side pre-activations (with bias) in, r, z, n out; gh: hidden-side products W_hh h (no bias);
    /// r = σ(g_r + gh_r), z = σ(g_z + gh_z), hnPre ← gh_n + b_hn, n = tanh(g_n + r·hnPre), hOut ← n + z·(h − n)
    /// (hOut may be h), and hOut2 ← the same when not null.
    /// </summary>
    public static void Forward(SimdPath path, float* g, float* gh, int H, float* bHn, float* hnPre, float* h, float* hOut, float* hOut2, int n)
    {
        int j = path switch
        {
            SimdPath.Vector512 => Forward<Simd512, Vector512<float>>(g, gh, H, bHn, hnPre, h, hOut, hOut2, 0, n),
            SimdPath.Vector256 => Forward<Simd256, Vector256<float>>(g, gh, H, bHn, hnPre, h, hOut, hOut2, 0, n),
            SimdPath.Vector128 => Forward<Simd128, Vector128<float>>(g, gh, H, bHn, hnPre, h, hOut, hOut2, 0, n),
            _ => 0,
        };
        Forward<SimdScalar, float>(g, gh, H, bHn, hnPre, h, hOut, hOut2, j, n);
    }

    /// <summary>
    /// g: r, z, n in, [dr, dz, dn·r] out (pre-activation gradients, hidden side); hnPre: W_hn h + b_hn in, dn (input side)
    /// out; dh: the gradient of h from the step after in, dh·z (the direct path to h_{t−1}) out; dy adds to dh first.
    /// With dh' = dh + dy: dn = dh'(1 − z)(1 − n²), dz = dh'(h_{t−1} − n)·z(1 − z), dr = dn·hnPre·r(1 − r).
    /// </summary>
    public static void Backward(SimdPath path, float* g, int H, float* hnPre, float* hPrev, float* dh, float* dy, int n)
    {
        int j = path switch
        {
            SimdPath.Vector512 => Backward<Simd512, Vector512<float>>(g, H, hnPre, hPrev, dh, dy, 0, n),
            SimdPath.Vector256 => Backward<Simd256, Vector256<float>>(g, H, hnPre, hPrev, dh, dy, 0, n),
            SimdPath.Vector128 => Backward<Simd128, Vector128<float>>(g, H, hnPre, hPrev, dh, dy, 0, n),
            _ => 0,
        };
        Backward<SimdScalar, float>(g, H, hnPre, hPrev, dh, dy, j, n);
    }

    /// <summary>Whole vectors from j while they fit below n; returns where it stopped.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Forward<TOps, TVec>(float* g, float* gh, int H, float* bHn, float* hnPre, float* h, float* hOut, float* hOut2,
        int j, int n)
        where TOps : struct, ISimdOps<TVec> where TVec : struct
    {
        int w = TOps.Count;
        for (; j <= n - w; j += w)
        {
            float* gr = g + j, ghr = gh + j;
            var r = VectorMath<TOps, TVec>.Sigmoid(TOps.Add(TOps.Load(gr), TOps.Load(ghr)));
            var z = VectorMath<TOps, TVec>.Sigmoid(TOps.Add(TOps.Load(gr + H), TOps.Load(ghr + H)));
            var pre = TOps.Add(TOps.Load(ghr + 2 * H), TOps.Load(bHn + j));
            var nv = VectorMath<TOps, TVec>.Tanh(TOps.MultiplyAdd(r, pre, TOps.Load(gr + 2 * H)));
            TOps.Store(gr, r);
            TOps.Store(gr + H, z);
            TOps.Store(gr + 2 * H, nv);
            TOps.Store(hnPre + j, pre);
            var hv = TOps.MultiplyAdd(z, TOps.Subtract(TOps.Load(h + j), nv), nv);
            TOps.Store(hOut + j, hv);
            if (hOut2 != null)
                TOps.Store(hOut2 + j, hv);
        }
        return j;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Backward<TOps, TVec>(float* g, int H, float* hnPre, float* hPrev, float* dh, float* dy, int j, int n)
        where TOps : struct, ISimdOps<TVec> where TVec : struct
    {
        int w = TOps.Count;
        for (; j <= n - w; j += w)
        {
            float* gr = g + j;
            var r = TOps.Load(gr);
            var z = TOps.Load(gr + H);
            var nv = TOps.Load(gr + 2 * H);
            var dhv = TOps.Add(TOps.Load(dh + j), TOps.Load(dy + j));
            var dn = TOps.Multiply(TOps.Subtract(dhv, TOps.Multiply(dhv, z)), VectorMath<TOps, TVec>.TanhDerivFromOutput(nv));
            var dzOut = TOps.Multiply(TOps.Subtract(TOps.Load(hPrev + j), nv), dhv);
            TOps.Store(dh + j, TOps.Multiply(dhv, z));
            TOps.Store(gr + H, TOps.Multiply(dzOut, VectorMath<TOps, TVec>.SigmoidDerivFromOutput(z)));
            TOps.Store(gr + 2 * H, TOps.Multiply(dn, r));
            var drOut = TOps.Multiply(dn, TOps.Load(hnPre + j));
            TOps.Store(hnPre + j, dn);
            TOps.Store(gr, TOps.Multiply(drOut, VectorMath<TOps, TVec>.SigmoidDerivFromOutput(r)));
        }
        return j;
    }
}
