using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using Baton.Numerics;

namespace Baton.Layers;

/// <summary>
/// The LSTM cell's elementwise math over units [0, n) of one row in a single pass: whole vectors of the chosen width,
/// then the rest through the scalar twin. Each value is computed by the same operations, in the same order, as one
/// <see cref="Activations"/> / TensorPrimitives call per quantity would, so the result does not depend on the fusion.
/// <c>g</c> points at unit j0 of gate i of a [4H] gate row; f, g and o lie H, 2H and 3H further on.
/// </summary>
internal static unsafe class LstmCellKernels
{
    /// <summary>
    /// g holds the pre-activations on entry and i = σ, f = σ, g = tanh, o = σ of them on return;
    /// c ← f·c + i·g (c may alias nothing else); cKept ← c when not null; m ← o·tanh c; hOut ← m when not null.
    /// </summary>
    public static void Forward(SimdPath path, float* g, int H, float* c, float* cKept, float* m, float* hOut, int n)
    {
        int j = path switch
        {
            SimdPath.Vector512 => Forward<Simd512, Vector512<float>>(g, H, c, cKept, m, hOut, 0, n),
            SimdPath.Vector256 => Forward<Simd256, Vector256<float>>(g, H, c, cKept, m, hOut, 0, n),
            SimdPath.Vector128 => Forward<Simd128, Vector128<float>>(g, H, c, cKept, m, hOut, 0, n),
            _ => 0,
        };
        Forward<SimdScalar, float>(g, H, c, cKept, m, hOut, j, n);
    }

    /// <summary>
    /// g holds the activated gates on entry and their pre-activation gradients on return; c is the cell after the step,
    /// cPrev before it; dm = ∂L/∂m; dc holds ∂L/∂c from the step after on entry and ∂L/∂c_prev on return:
    /// dc' = dc + dm·o·(1 − tanh²c); do = dm·tanh c·o(1 − o); di = dc'·g·i(1 − i); dg = dc'·i·(1 − g²);
    /// df = dc'·c_prev·f(1 − f); dc_prev = dc'·f.
    /// </summary>
    public static void Backward(SimdPath path, float* g, int H, float* c, float* cPrev, float* dm, float* dc, int n)
    {
        int j = path switch
        {
            SimdPath.Vector512 => Backward<Simd512, Vector512<float>>(g, H, c, cPrev, dm, dc, 0, n),
            SimdPath.Vector256 => Backward<Simd256, Vector256<float>>(g, H, c, cPrev, dm, dc, 0, n),
            SimdPath.Vector128 => Backward<Simd128, Vector128<float>>(g, H, c, cPrev, dm, dc, 0, n),
            _ => 0,
        };
        Backward<SimdScalar, float>(g, H, c, cPrev, dm, dc, j, n);
    }

    /// <summary>Whole vectors from j while they fit below n; returns where it stopped.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Forward<TOps, TVec>(float* g, int H, float* c, float* cKept, float* m, float* hOut, int j, int n)
        where TOps : struct, ISimdOps<TVec> where TVec : struct
    {
        int w = TOps.Count;
        for (; j <= n - w; j += w)
        {
            float* gi = g + j;
            var i = VectorMath<TOps, TVec>.Sigmoid(TOps.Load(gi));
            var f = VectorMath<TOps, TVec>.Sigmoid(TOps.Load(gi + H));
            var gg = VectorMath<TOps, TVec>.Tanh(TOps.Load(gi + 2 * H));
            var o = VectorMath<TOps, TVec>.Sigmoid(TOps.Load(gi + 3 * H));
            TOps.Store(gi, i);
            TOps.Store(gi + H, f);
            TOps.Store(gi + 2 * H, gg);
            TOps.Store(gi + 3 * H, o);
            var cNew = TOps.MultiplyAdd(f, TOps.Load(c + j), TOps.Multiply(i, gg));
            TOps.Store(c + j, cNew);
            if (cKept != null)
                TOps.Store(cKept + j, cNew);
            var mv = TOps.Multiply(o, VectorMath<TOps, TVec>.Tanh(cNew));
            TOps.Store(m + j, mv);
            if (hOut != null)
                TOps.Store(hOut + j, mv);
        }
        return j;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int Backward<TOps, TVec>(float* g, int H, float* c, float* cPrev, float* dm, float* dc, int j, int n)
        where TOps : struct, ISimdOps<TVec> where TVec : struct
    {
        int w = TOps.Count;
        for (; j <= n - w; j += w)
        {
            float* gi = g + j;
            var i = TOps.Load(gi);
            var f = TOps.Load(gi + H);
            var gg = TOps.Load(gi + 2 * H);
            var o = TOps.Load(gi + 3 * H);
            var tanhC = VectorMath<TOps, TVec>.Tanh(TOps.Load(c + j));   // as Forward computed it, so kept by neither
            var dmv = TOps.Load(dm + j);
            var dcv = TOps.Add(TOps.Load(dc + j), TOps.Multiply(TOps.Multiply(dmv, o), VectorMath<TOps, TVec>.TanhDerivFromOutput(tanhC)));
            TOps.Store(gi + 3 * H, TOps.Multiply(TOps.Multiply(dmv, tanhC), VectorMath<TOps, TVec>.SigmoidDerivFromOutput(o)));
            TOps.Store(gi, TOps.Multiply(TOps.Multiply(dcv, gg), VectorMath<TOps, TVec>.SigmoidDerivFromOutput(i)));
            TOps.Store(gi + 2 * H, TOps.Multiply(TOps.Multiply(dcv, i), VectorMath<TOps, TVec>.TanhDerivFromOutput(gg)));
            TOps.Store(gi + H, TOps.Multiply(TOps.Multiply(dcv, TOps.Load(cPrev + j)), VectorMath<TOps, TVec>.SigmoidDerivFromOutput(f)));
            TOps.Store(dc + j, TOps.Multiply(dcv, f));
        }
        return j;
    }
}
