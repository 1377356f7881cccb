using System.Runtime.CompilerServices;
using Baton.Numerics;

namespace Baton.Layers;

/// <summary>
/// minLSTM (Feng et al. 2024), the paper's default log-space-compatible variant: [k_t, p_t, q_t] = W x_t + b (one
/// Linear to 3H, chunks hidden, forget, input, as <c>to_hidden_and_f_i_gate</c> in lucidrains/minGRU-pytorch),
/// f = σ(p), i = σ(q), normalised f' = f / (f + i), i' = i / (f + i) = 1 − f', h̃ = g(k),
/// h_t = f' ⊙ h_{t−1} + i' ⊙ h̃_t — solved over all t by <see cref="LinearScan"/> (a = f', b = i' h̃).
/// Tensors: <c>{prefix}to_hidden_and_f_i_gate.weight</c> <c>[3H, I]</c>, <c>{prefix}to_hidden_and_f_i_gate.bias</c> <c>[3H]</c>.
/// </summary>
internal sealed class MinLstm : MinRecurrence
{
    /// <summary>Name of the projection module, after the reference implementation.</summary>
    public const string LinearName = "to_hidden_and_f_i_gate";

    /// <summary>Registers the projection under <paramref name="prefix"/> (e.g. <c>rnn.layers.0.</c>).</summary>
    public MinLstm(int inputSize, int hiddenSize, Parameters parameters, string prefix)
        : base(inputSize, hiddenSize, parameters, prefix, LinearName, MinKernels<Gates>.Instance)
    {
    }

    /// <summary>The per-vector math of one step and its derivative.</summary>
    internal readonly unsafe struct Gates : IMinCell
    {
        public static int Chunks => 3;

        /// <summary>
        /// a = f / (f + i), b = (1 − a) ⊙ g(k) from the activations [g(k) tagged, f = σ(p), i = σ(q)] of [k, p, q] = pre + bias.
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Coefficients<TOps, TVec>(float* act, int H, out TVec a, out TVec b)
            where TOps : struct, ISimdOps<TVec> where TVec : struct
        {
            var f = TOps.Load(act + H);
            a = TOps.Divide(f, TOps.Add(f, TOps.Load(act + 2 * H)));
            b = TOps.Multiply(TOps.Subtract(TOps.Broadcast(1f), a), TOps.Abs(TOps.Load(act)));
        }

        /// <summary>
        /// With a = f', b = (1 − f') h̃ and da = g ⊙ h_{t−1}: ∂L/∂f' = da − g h̃ = g (h_{t−1} − h̃); ∂f'/∂p = f'(1 − f')(1 − f);
        /// ∂f'/∂q = −f'(1 − f')(1 − i); ∂L/∂k = g (1 − f') g'(k).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVec Gradients<TOps, TVec>(float* act, int H, TVec g, TVec hPrev, float* dpre, float* sums)
            where TOps : struct, ISimdOps<TVec> where TVec : struct
        {
            var one = TOps.Broadcast(1f);
            var candidate = MinActivations.FromTagged<TOps, TVec>(TOps.Load(act), out var slope);
            var f = TOps.Load(act + H);
            var i = TOps.Load(act + 2 * H);
            var forget = TOps.Divide(f, TOps.Add(f, i));
            var keep = TOps.Subtract(one, forget);
            var dSpread = TOps.Multiply(TOps.Multiply(g, TOps.Subtract(hPrev, candidate)), TOps.Multiply(forget, keep));
            IMinCell.Emit<TOps, TVec>(dpre, sums, TOps.Multiply(TOps.Multiply(g, keep), slope));
            IMinCell.Emit<TOps, TVec>(dpre + H, sums + H, TOps.Multiply(dSpread, TOps.Subtract(one, f)));
            IMinCell.Emit<TOps, TVec>(dpre + 2 * H, sums + 2 * H, TOps.Multiply(dSpread, TOps.Subtract(i, one)));
            return forget;
        }
    }
}
