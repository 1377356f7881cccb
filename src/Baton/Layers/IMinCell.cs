using System.Runtime.CompilerServices;
using Baton.Numerics;

namespace Baton.Layers;

/// <summary>
/// The elementwise math of one min cell on one vector of hidden units, written once over
/// <see cref="ISimdOps{TVec}"/> (Vector512 / 256 / 128 and the scalar twin). <c>pre</c>, <c>bias</c>,
/// <c>dpre</c> and <c>sums</c> point at unit j of chunk 0 of a projection row; chunk c lies c·H further on.
/// The bias is added here rather than stored into the projection, so the cached projection stays x·Wᵀ.
/// </summary>
internal unsafe interface IMinCell
{
    /// <summary>H-wide chunks of the projection row (2 for minGRU, 3 for minLSTM).</summary>
    static abstract int Chunks { get; }

    /// <summary>The scan coefficients of h_t = a ⊙ h_{t−1} + b from the projection row (bias added here).</summary>
    static abstract void Coefficients<TOps, TVec>(float* pre, float* bias, int H, out TVec a, out TVec b)
        where TOps : struct, ISimdOps<TVec> where TVec : struct;

    /// <summary>
    /// Given g = ∂L/∂b_t (the scanned gradient) and h_{t−1}, so that ∂L/∂a_t = g ⊙ h_{t−1}: stores ∂L/∂pre into
    /// <c>dpre</c>, adds it to <c>sums</c> (the bias gradient's running column sums) and returns a_t.
    /// </summary>
    static abstract TVec Gradients<TOps, TVec>(float* pre, float* bias, int H, TVec g, TVec hPrev, float* dpre, float* sums)
        where TOps : struct, ISimdOps<TVec> where TVec : struct;

    /// <summary>Stores one chunk of ∂L/∂pre and adds it to the column sums.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    static void Emit<TOps, TVec>(float* dpre, float* sums, TVec v)
        where TOps : struct, ISimdOps<TVec> where TVec : struct
    {
        TOps.Store(dpre, v);
        TOps.Store(sums, TOps.Add(TOps.Load(sums), v));
    }
}
