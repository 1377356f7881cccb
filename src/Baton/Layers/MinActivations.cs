using System.Runtime.CompilerServices;
using Baton.Numerics;

namespace Baton.Layers;

/// <summary>
/// The minGRU paper's positive candidate activation g(x) = x + 0.5 for x ≥ 0, σ(x) for x &lt; 0 (continuous at 0,
/// keeps h̃ &gt; 0 so that the log-space scan applies) and its derivative.
/// </summary>
internal static class MinActivations
{
    /// <summary>
    /// g(x) tagged with its branch in the sign bit: x + 0.5 (positive) for x ≥ 0, −σ(x) (negative, −0 where σ
    /// underflows) for x &lt; 0, so |tagged| = g(x) and <see cref="FromTagged"/> recovers g'(x) with no second σ.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVec Tagged<TOps, TVec>(TVec x) where TOps : struct, ISimdOps<TVec> where TVec : struct =>
        TOps.SelectLessThan(x, TOps.Zero, TOps.Multiply(VectorMath<TOps, TVec>.Sigmoid(x), TOps.Broadcast(-1f)), TOps.Add(x, TOps.Broadcast(0.5f)));

    /// <summary>g(x) and g'(x) from <see cref="Tagged"/>'s value: g = |t|; g' = 1 where t &gt; 0, else g (1 − g) (= σ'(x)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TVec FromTagged<TOps, TVec>(TVec tagged, out TVec derivative) where TOps : struct, ISimdOps<TVec> where TVec : struct
    {
        var g = TOps.Abs(tagged);
        derivative = TOps.SelectLessThan(TOps.Zero, tagged, TOps.Broadcast(1f), VectorMath<TOps, TVec>.SigmoidDerivFromOutput(g));
        return g;
    }
}
