using Baton.Layers;

namespace Baton.Training;

/// <summary>
/// torch.optim.RMSprop: g ← grad + wd·p; s ← αs + (1 − α)g²; centered: ḡ ← αḡ + (1 − α)g, a ← √(s − ḡ²) + ε, else a ← √s + ε;
/// with momentum μ: buf ← μ·buf + g/a, p ← p − lr·buf; else p ← p − lr·g/a.
/// </summary>
internal sealed class RmsProp : Optimizer
{
    private readonly float[] squareAvg;
    private readonly float[] gradAvg;
    private readonly float[] momentumBuffer;

    /// <summary>Creates RMSprop with <paramref name="options"/>.</summary>
    public RmsProp(Parameters parameters, OptimizerOptions options) : base(parameters, options)
    {
        if (!(options.Alpha >= 0 && options.Alpha <= 1))
            throw new ArgumentOutOfRangeException(nameof(options), "RMSprop alpha must be in [0, 1].");
        squareAvg = AddState("square_avg");
        gradAvg = options.Centered ? AddState("grad_avg") : [];
        momentumBuffer = options.Momentum > 0 ? AddState("momentum_buffer") : [];
    }

    /// <inheritdoc/>
    protected override void Update(Span<float> p, ReadOnlySpan<float> grad)
    {
        float alpha = (float)Options.Alpha, oneMinusAlpha = (float)(1 - Options.Alpha);
        float wd = (float)Options.EffectiveWeightDecay;
        float eps = (float)Options.Eps;
        float mu = (float)Options.Momentum;
        float negLr = (float)-LearningRate;
        bool centered = Options.Centered;
        bool momentum = Options.Momentum > 0;
        for (int i = 0; i < p.Length; i++)
        {
            float g = wd != 0 ? grad[i] + wd * p[i] : grad[i];
            float s = squareAvg[i] = squareAvg[i] * alpha + oneMinusAlpha * (g * g);
            float avg;
            if (centered)
            {
                float ga = gradAvg[i] = gradAvg[i] * alpha + oneMinusAlpha * g;
                avg = MathF.Sqrt(s + -1f * (ga * ga)) + eps;
            }
            else
            {
                avg = MathF.Sqrt(s) + eps;
            }
            if (momentum)
            {
                float buf = momentumBuffer[i] = momentumBuffer[i] * mu + g / avg;
                p[i] += negLr * buf;
            }
            else
            {
                p[i] += negLr * (g / avg);
            }
        }
    }
}
