using Baton.Layers;

namespace Baton.Training;

/// <summary>
/// torch.optim.SGD: g ← grad + wd·p; with momentum μ: buf ← g on the first step, else buf ← μ·buf + (1 − dampening)·g;
/// g ← g + μ·buf (Nesterov) or g ← buf; then p ← p − lr·g.
/// </summary>
internal sealed class Sgd : Optimizer
{
    private readonly float[] momentumBuffer;

    /// <summary>Creates SGD with <paramref name="options"/> (Kind is ignored).</summary>
    public Sgd(Parameters parameters, OptimizerOptions options) : base(parameters, options)
    {
        if (options.Nesterov && (options.Momentum <= 0 || options.Dampening != 0))
            throw new ArgumentException("Nesterov momentum requires a momentum and zero dampening.", nameof(options));
        momentumBuffer = options.Momentum != 0 ? AddState("momentum_buffer") : [];
    }

    /// <inheritdoc/>
    protected override void Update(Span<float> p, ReadOnlySpan<float> grad)
    {
        float wd = (float)Options.EffectiveWeightDecay;
        float mu = (float)Options.Momentum;
        float oneMinusDampening = (float)(1 - Options.Dampening);
        float negLr = (float)-LearningRate;
        bool first = StepCount == 1;
        bool momentum = Options.Momentum != 0;
        bool nesterov = Options.Nesterov;
        for (int i = 0; i < p.Length; i++)
        {
            float g = wd != 0 ? grad[i] + wd * p[i] : grad[i];
            if (momentum)
            {
                ref float buf = ref momentumBuffer[i];
                buf = first ? g : buf * mu + oneMinusDampening * g;
                g = nesterov ? g + mu * buf : buf;
            }
            p[i] += negLr * g;
        }
    }
}
