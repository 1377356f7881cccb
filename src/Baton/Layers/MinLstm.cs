using Baton.Parallel;

namespace Baton.Layers;

/// <summary>
/// minLSTM (Feng et al. 2024), the paper's default log-space-compatible variant: [k_t, p_t, q_t] = W x_t + b (one
/// Linear to 3H, chunks hidden, forget, input, as <c>to_hidden_and_f_i_gate</c> in lucidrains/minGRU-pytorch),
/// f = σ(p), i = σ(q), normalised f' = f / (f + i), i' = i / (f + i) = 1 − f', h̃ = g(k),
/// h_t = f' ⊙ h_{t−1} + i' ⊙ h̃_t — solved over all t by <see cref="LinearScan"/> (a = f', b = i' h̃).
/// Tensors: <c>{prefix}to_hidden_and_f_i_gate.weight</c> <c>[3H, I]</c>, <c>{prefix}to_hidden_and_f_i_gate.bias</c> <c>[3H]</c>.
/// </summary>
public sealed class MinLstm : MinRecurrence
{
    /// <summary>Name of the projection module, after the reference implementation.</summary>
    public const string LinearName = "to_hidden_and_f_i_gate";

    /// <summary>Registers the projection under <paramref name="prefix"/> (e.g. <c>rnn.layers.0.</c>).</summary>
    public MinLstm(int inputSize, int hiddenSize, Parameters parameters, string prefix)
        : base(inputSize, hiddenSize, 3, parameters, prefix, LinearName)
    {
    }

    /// <inheritdoc/>
    protected override void Coefficients(ReadOnlySpan<float> pre, Span<float> a, Span<float> b)
    {
        int H = HiddenSize;
        for (int j = 0; j < H; j++)
        {
            float f = Sigmoid(pre[H + j]);
            float i = Sigmoid(pre[2 * H + j]);
            float forget = f / (f + i);
            a[j] = forget;
            b[j] = (1f - forget) * MinActivations.G(pre[j]);
        }
    }

    /// <inheritdoc/>
    protected override void CoefficientGradients(ReadOnlySpan<float> pre, ReadOnlySpan<float> g, ReadOnlySpan<float> da,
        Span<float> dpre, Span<float> scratch)
    {
        int H = HiddenSize;
        for (int j = 0; j < H; j++)
        {
            float k = pre[j];
            float f = Sigmoid(pre[H + j]);
            float i = Sigmoid(pre[2 * H + j]);
            float forget = f / (f + i);
            float candidate = MinActivations.G(k);
            // a = f', b = (1 − f') h̃:  ∂L/∂f' = da − g h̃;  ∂f'/∂p = f'(1 − f')(1 − f);  ∂f'/∂q = −f'(1 − f')(1 − i).
            float dForget = da[j] - g[j] * candidate;
            float spread = forget * (1f - forget);
            dpre[j] = g[j] * (1f - forget) * MinActivations.GDerivative(k);
            dpre[H + j] = dForget * spread * (1f - f);
            dpre[2 * H + j] = -dForget * spread * (1f - i);
        }
    }

    private static float Sigmoid(float x) => 1f / (1f + MathF.Exp(-x));
}
