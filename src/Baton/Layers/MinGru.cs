using System.Numerics.Tensors;
using Baton.Parallel;

namespace Baton.Layers;

/// <summary>
/// minGRU (Feng et al. 2024, "Were RNNs All We Needed?"), the paper's default log-space-compatible variant:
/// [k_t, u_t] = W x_t + b (one Linear to 2H, hidden chunk first, as <c>to_hidden_and_gate</c> in the reference
/// implementation lucidrains/minGRU-pytorch), z_t = σ(u_t), h̃_t = g(k_t) with g(x) = x + 0.5 (x ≥ 0), σ(x) (x &lt; 0),
/// h_t = (1 − z_t) ⊙ h_{t−1} + z_t ⊙ h̃_t. Training evaluates all t at once with <see cref="LinearScan"/>
/// (a_t = 1 − z_t, b_t = z_t ⊙ h̃_t); <see cref="MinRecurrence.Step"/> runs the same formula one step at a time.
/// Tensors: <c>{prefix}to_hidden_and_gate.weight</c> <c>[2H, I]</c>, <c>{prefix}to_hidden_and_gate.bias</c> <c>[2H]</c>.
/// </summary>
public sealed class MinGru : MinRecurrence
{
    /// <summary>Name of the projection module, after the reference implementation.</summary>
    public const string LinearName = "to_hidden_and_gate";

    /// <summary>Registers the projection under <paramref name="prefix"/> (e.g. <c>rnn.layers.0.</c>).</summary>
    public MinGru(int inputSize, int hiddenSize, Parameters parameters, string prefix)
        : base(inputSize, hiddenSize, 2, parameters, prefix, LinearName)
    {
    }

    /// <inheritdoc/>
    protected override void Coefficients(ReadOnlySpan<float> pre, Span<float> a, Span<float> b)
    {
        int H = HiddenSize;
        TensorPrimitives.Sigmoid(pre.Slice(H, H), a);          // z
        MinActivations.G(pre[..H], b);                          // h̃
        TensorPrimitives.Multiply(a, b, b);                     // b = z h̃
        TensorPrimitives.Subtract(1f, a, a);                    // a = 1 − z
    }

    /// <inheritdoc/>
    protected override void CoefficientGradients(ReadOnlySpan<float> pre, ReadOnlySpan<float> g, ReadOnlySpan<float> da,
        Span<float> dpre, Span<float> scratch)
    {
        int H = HiddenSize;
        var k = pre[..H];
        var dk = dpre[..H];
        var du = dpre.Slice(H, H);
        var z = scratch[..H];
        var tmp = scratch.Slice(H, H);
        TensorPrimitives.Sigmoid(pre.Slice(H, H), z);
        MinActivations.G(k, tmp);                                // h̃
        TensorPrimitives.Multiply(g, tmp, du);                   // ∂L/∂z = g h̃ − da  (a = 1 − z, b = z h̃)
        TensorPrimitives.Subtract(du, da, du);
        MinActivations.GDerivative(k, tmp);
        TensorPrimitives.Multiply(g, z, dk);                     // ∂L/∂k = g z g'(k)
        TensorPrimitives.Multiply(dk, tmp, dk);
        TensorPrimitives.Multiply(z, z, tmp);                    // ∂L/∂u = ∂L/∂z · z(1 − z)
        TensorPrimitives.Subtract(z, tmp, tmp);
        TensorPrimitives.Multiply(du, tmp, du);
    }
}
