using System.Runtime.CompilerServices;
using Baton.Numerics;

namespace Baton.Layers;

/// <summary>
/// minGRU (Feng et al. 2024, "Were RNNs All We Needed?"), the paper's default log-space-compatible variant:
/// [k_t, u_t] = W x_t + b (one Linear to 2H, hidden chunk first, as <c>to_hidden_and_gate</c> in the reference
/// implementation lucidrains/minGRU-pytorch), z_t = σ(u_t), h̃_t = g(k_t) with g(x) = x + 0.5 (x ≥ 0), σ(x) (x &lt; 0),
/// h_t = (1 − z_t) ⊙ h_{t−1} + z_t ⊙ h̃_t. Training evaluates all t at once with <see cref="LinearScan"/>
/// (a_t = 1 − z_t, b_t = z_t ⊙ h̃_t); <see cref="MinRecurrence.Step"/> runs the same formula one step at a time.
/// Tensors: <c>{prefix}to_hidden_and_gate.weight</c> <c>[2H, I]</c>, <c>{prefix}to_hidden_and_gate.bias</c> <c>[2H]</c>.
/// </summary>
internal sealed class MinGru : MinRecurrence
{
    /// <summary>Name of the projection module, after the reference implementation.</summary>
    public const string LinearName = "to_hidden_and_gate";

    /// <summary>Registers the projection under <paramref name="prefix"/> (e.g. <c>rnn.layers.0.</c>).</summary>
    public MinGru(int inputSize, int hiddenSize, Parameters parameters, string prefix)
        : base(inputSize, hiddenSize, parameters, prefix, LinearName, MinKernels<Gates>.Instance)
    {
    }

    /// <summary>The per-vector math of one step and its derivative.</summary>
    internal readonly unsafe struct Gates : IMinCell
    {
        public static int Chunks => 2;

        /// <summary>a = 1 − z, b = z ⊙ g(k) from the activations [g(k) tagged, z = σ(u)] of [k, u] = pre + bias.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Coefficients<TOps, TVec>(float* act, int H, out TVec a, out TVec b)
            where TOps : struct, ISimdOps<TVec> where TVec : struct
        {
            var z = TOps.Load(act + H);
            a = TOps.Subtract(TOps.Broadcast(1f), z);
            b = TOps.Multiply(z, TOps.Abs(TOps.Load(act)));
        }

        /// <summary>
        /// With da = g ⊙ h_{t−1}: ∂L/∂z = g h̃ − da = g (h̃ − h_{t−1}); ∂L/∂u = ∂L/∂z · z(1 − z); ∂L/∂k = g z g'(k).
        /// </summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static TVec Gradients<TOps, TVec>(float* act, int H, TVec g, TVec hPrev, float* dpre, float* sums)
            where TOps : struct, ISimdOps<TVec> where TVec : struct
        {
            var candidate = MinActivations.FromTagged<TOps, TVec>(TOps.Load(act), out var slope);
            var z = TOps.Load(act + H);
            var a = TOps.Subtract(TOps.Broadcast(1f), z);
            var gz = TOps.Multiply(g, z);
            IMinCell.Emit<TOps, TVec>(dpre, sums, TOps.Multiply(gz, slope));
            IMinCell.Emit<TOps, TVec>(dpre + H, sums + H, TOps.Multiply(TOps.Multiply(gz, a), TOps.Subtract(candidate, hPrev)));
            return a;
        }
    }
}
