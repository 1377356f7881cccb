using System.Runtime.CompilerServices;

namespace Baton.Numerics;

/// <summary>
/// Per-vector activation functions over <see cref="ISimdOps{TVec}"/>, for the span kernels of
/// <see cref="Activations"/> and for layers' fused elementwise passes. Instantiated with
/// <see cref="SimdScalar"/> they are the scalar twins.
/// </summary>
internal static class VectorMath<TOps, TVec>
    where TOps : struct, ISimdOps<TVec>
    where TVec : struct
{
    /// <summary>Below this |x|, tanh uses its odd polynomial; above, 1 − 2 / (e^{2|x|} + 1).</summary>
    private const float TanhPolynomialLimit = 0.625f;

    /// <summary>Below this x, e^{−x} overflows float32, so σ(x) is exactly 0 (as in PyTorch).</summary>
    private const float SigmoidZeroBelow = -88.72f;

    /// <summary>
    /// σ(x) = 1 / (1 + e^{−x}) on <see cref="PolynomialExp"/> (several times faster than Vector512.Exp, which made the
    /// LSTM and GRU cell passes three to five times slower); exactly 0 where e^{−x} overflows, never NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Sigmoid(TVec x)
    {
        var one = TOps.Broadcast(1f);
        var y = TOps.Divide(one, TOps.Add(one, PolynomialExp(TOps.Subtract(TOps.Zero, x))));
        return TOps.SelectLessThan(x, TOps.Broadcast(SigmoidZeroBelow), TOps.Zero, y);
    }

    /// <summary>
    /// e^x by Cephes' expf: x = n·ln 2 + r with |r| ≤ ln 2 / 2, e^r from a degree-6 polynomial, times 2^n; within
    /// about 1 ulp. Several times faster than Vector512.Exp on .NET 10. x is clamped to [−87.3, 88], so the result
    /// stays finite and normal: about 1.2e-38 for very negative x, 1.7e38 for very positive x (<see cref="Sigmoid"/>
    /// selects an exact 0 where the true e^{−x} would overflow).
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec PolynomialExp(TVec x)
    {
        // Clamped by compare-and-select: Min / Max carry IEEE NaN and −0 rules that cost three instructions each.
        var lo = TOps.Broadcast(-87.3f);
        var hi = TOps.Broadcast(88f);
        x = TOps.SelectLessThan(x, lo, lo, TOps.SelectLessThan(hi, x, hi, x));
        var n = TOps.Round(TOps.Multiply(x, TOps.Broadcast(1.44269504088896341f)));
        // r = x − n·ln 2, with ln 2 split in two so that n·ln2_hi is exact.
        var r = TOps.MultiplyAdd(n, TOps.Broadcast(-0.693359375f), x);
        r = TOps.MultiplyAdd(n, TOps.Broadcast(2.12194440e-4f), r);
        var p = TOps.MultiplyAdd(TOps.Broadcast(1.9875691500e-4f), r, TOps.Broadcast(1.3981999507e-3f));
        p = TOps.MultiplyAdd(p, r, TOps.Broadcast(8.3334519073e-3f));
        p = TOps.MultiplyAdd(p, r, TOps.Broadcast(4.1665795894e-2f));
        p = TOps.MultiplyAdd(p, r, TOps.Broadcast(1.6666665459e-1f));
        p = TOps.MultiplyAdd(p, r, TOps.Broadcast(5.0000001201e-1f));
        p = TOps.MultiplyAdd(p, TOps.Multiply(r, r), TOps.Add(r, TOps.Broadcast(1f)));
        return TOps.Multiply(p, TOps.Pow2(n));
    }

    /// <summary>
    /// tanh(x): for |x| &lt; 0.625 the Cephes minimax polynomial x + x·z·P(z), z = x² (relative error about
    /// 1e-7); otherwise sign(x)·(1 − 2 / (e^{2|x|} + 1)) on <see cref="PolynomialExp"/>, which saturates to ±1 without NaN.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec Tanh(TVec x)
    {
        var one = TOps.Broadcast(1f);
        var ax = TOps.Abs(x);
        var z = TOps.Multiply(x, x);
        var p = TOps.MultiplyAdd(TOps.Broadcast(-5.70498872745e-3f), z, TOps.Broadcast(2.06390887954e-2f));
        p = TOps.MultiplyAdd(p, z, TOps.Broadcast(-5.37397155531e-2f));
        p = TOps.MultiplyAdd(p, z, TOps.Broadcast(1.33314422036e-1f));
        p = TOps.MultiplyAdd(p, z, TOps.Broadcast(-3.33332819422e-1f));
        var small = TOps.MultiplyAdd(TOps.Multiply(p, z), x, x);
        var e = PolynomialExp(TOps.Add(ax, ax));
        var large = TOps.Subtract(one, TOps.Divide(TOps.Broadcast(2f), TOps.Add(e, one)));
        return TOps.SelectLessThan(ax, TOps.Broadcast(TanhPolynomialLimit), small, TOps.CopySign(large, x));
    }

    /// <summary>σ'(x) from y = σ(x): y · (1 − y).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec SigmoidDerivFromOutput(TVec y) => TOps.Multiply(y, TOps.Subtract(TOps.Broadcast(1f), y));

    /// <summary>tanh'(x) from y = tanh(x): 1 − y², as one fused multiply-add (one rounding, no cancellation error near |y| = 1).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static TVec TanhDerivFromOutput(TVec y) => TOps.MultiplyAdd(TOps.Subtract(TOps.Zero, y), y, TOps.Broadcast(1f));
}
