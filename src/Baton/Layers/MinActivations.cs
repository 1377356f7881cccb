using System.Numerics;
using System.Runtime.CompilerServices;
using Baton.Numerics;

namespace Baton.Layers;

/// <summary>
/// The minGRU paper's positive candidate activation g(x) = x + 0.5 for x ≥ 0, σ(x) for x &lt; 0 (continuous at 0,
/// keeps h̃ &gt; 0 so that the log-space scan applies) and its derivative.
/// </summary>
internal static class MinActivations
{
    /// <summary>g(x) for one value.</summary>
    public static float G(float x) => x >= 0 ? x + 0.5f : ScalarMath.Sigmoid(x);

    /// <summary>g'(x) = 1 for x ≥ 0, σ(x)(1 − σ(x)) for x &lt; 0.</summary>
    public static float GDerivative(float x)
    {
        if (x >= 0)
            return 1f;
        float s = ScalarMath.Sigmoid(x);
        return s * (1f - s);
    }

    /// <summary>y = g(x) elementwise (Vector&lt;float&gt; path and scalar tail).</summary>
    public static void G(ReadOnlySpan<float> x, Span<float> y)
    {
        if (y.Length < x.Length)
            throw new ArgumentException("Destination is too short.", nameof(y));
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            var half = new Vector<float>(0.5f);
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var v = new Vector<float>(x[i..]);
                var sigmoid = Vector<float>.One / (Vector<float>.One + Vector.Exp(-v));
                Vector.ConditionalSelect(Vector.GreaterThanOrEqual(v, Vector<float>.Zero), v + half, sigmoid).CopyTo(y[i..]);
            }
        }
        for (; i < x.Length; i++)
            y[i] = G(x[i]);
    }

    /// <summary>y = g'(x) elementwise (Vector&lt;float&gt; path and scalar tail).</summary>
    public static void GDerivative(ReadOnlySpan<float> x, Span<float> y)
    {
        if (y.Length < x.Length)
            throw new ArgumentException("Destination is too short.", nameof(y));
        int i = 0;
        if (Vector.IsHardwareAccelerated)
        {
            for (; i <= x.Length - Vector<float>.Count; i += Vector<float>.Count)
            {
                var v = new Vector<float>(x[i..]);
                var s = Vector<float>.One / (Vector<float>.One + Vector.Exp(-v));
                Vector.ConditionalSelect(Vector.GreaterThanOrEqual(v, Vector<float>.Zero), Vector<float>.One, s * (Vector<float>.One - s)).CopyTo(y[i..]);
            }
        }
        for (; i < x.Length; i++)
            y[i] = GDerivative(x[i]);
    }

    /// <summary>g(x) on one vector, with σ on <see cref="VectorMath{TOps, TVec}.PolynomialExp"/>.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVec G<TOps, TVec>(TVec x) where TOps : struct, ISimdOps<TVec> where TVec : struct =>
        TOps.SelectLessThan(x, TOps.Zero, VectorMath<TOps, TVec>.Sigmoid(x), TOps.Add(x, TOps.Broadcast(0.5f)));

    /// <summary>g(x) and g'(x) on one vector from a single σ(x).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVec G<TOps, TVec>(TVec x, out TVec derivative) where TOps : struct, ISimdOps<TVec> where TVec : struct
    {
        var s = VectorMath<TOps, TVec>.Sigmoid(x);
        derivative = TOps.SelectLessThan(x, TOps.Zero, VectorMath<TOps, TVec>.SigmoidDerivFromOutput(s), TOps.Broadcast(1f));
        return TOps.SelectLessThan(x, TOps.Zero, s, TOps.Add(x, TOps.Broadcast(0.5f)));
    }
}
