using System.Runtime.CompilerServices;
using Baton.Numerics;

namespace Baton.Layers;

/// <summary>
/// The elementwise math of one min cell on one vector of hidden units, written once over
/// <see cref="ISimdOps{TVec}"/> (Vector512 / 256 / 128 and the scalar twin). <c>pre</c>, <c>bias</c>,
/// <c>dpre</c> and <c>sums</c> point at unit j of chunk 0 of a projection row; chunk c lies c·H further on.
/// The forward step replaces the projection row with its activations (<see cref="MinKernels"/>), and both
/// methods read those: the backward step needs no σ of its own.
/// </summary>
internal unsafe interface IMinCell
{
    /// <summary>H-wide chunks of the projection row (2 for minGRU, 3 for minLSTM).</summary>
    static abstract int Chunks { get; }

    /// <summary>
    /// The scan coefficients of h_t = a ⊙ h_{t−1} + b from the row's activations: chunk 0 g(k) tagged with its branch
    /// (<see cref="MinActivations.Tagged"/>), the other chunks σ of their projections (bias added).
    /// </summary>
    static abstract void Coefficients<TOps, TVec>(float* act, int H, out TVec a, out TVec b)
        where TOps : struct, ISimdOps<TVec> where TVec : struct;

    /// <summary>
    /// Given the row's activations <paramref name="act"/> (as for <see cref="Coefficients"/>), g = ∂L/∂b_t (the scanned
    /// gradient) and h_{t−1}, so that ∂L/∂a_t = g ⊙ h_{t−1}: stores ∂L/∂pre into <c>dpre</c> (which may be
    /// <paramref name="act"/>: every chunk is read before any is written), adds it to <c>sums</c> (the bias gradient's
    /// running column sums) and returns a_t.
    /// </summary>
    static abstract TVec Gradients<TOps, TVec>(float* act, int H, TVec g, TVec hPrev, float* dpre, float* sums)
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
