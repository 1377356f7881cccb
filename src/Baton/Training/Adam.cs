using Baton.Layers;

namespace Baton.Training;

/// <summary>
/// torch.optim.Adam / AdamW at step t: (AdamW: p ← p·(1 − lr·wd); Adam: g ← grad + wd·p)
/// m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g²; (AMSGrad: v̂ ← max(v̂, v), used for v)
/// p ← p − (lr / (1 − β₁ᵗ)) · m / (√v / √(1 − β₂ᵗ) + ε).
/// </summary>
internal sealed class Adam : Optimizer
{
    private readonly float[] expAvg;
    private readonly float[] expAvgSq;
    private readonly float[] maxExpAvgSq;

    /// <summary>Creates Adam, or AdamW when <paramref name="decoupled"/>.</summary>
    public Adam(Parameters parameters, OptimizerOptions options, bool decoupled = false) : base(parameters, options)
    {
        if (!(options.Beta1 >= 0 && options.Beta1 < 1) || !(options.Beta2 >= 0 && options.Beta2 < 1))
            throw new ArgumentOutOfRangeException(nameof(options), "Adam betas must be in [0, 1).");
        Decoupled = decoupled;
        expAvg = AddState("exp_avg");
        expAvgSq = AddState("exp_avg_sq");
        maxExpAvgSq = options.Amsgrad ? AddState("max_exp_avg_sq") : [];
    }

    /// <summary>True for AdamW (decoupled weight decay).</summary>
    public bool Decoupled { get; }

    /// <inheritdoc/>
    protected override void Update(Span<float> p, ReadOnlySpan<float> grad)
    {
        double lr = LearningRate;
        double wdValue = Options.EffectiveWeightDecay;
        float beta1 = (float)Options.Beta1, oneMinusBeta1 = (float)(1 - Options.Beta1);
        float beta2 = (float)Options.Beta2, oneMinusBeta2 = (float)(1 - Options.Beta2);
        double biasCorrection1 = 1 - Math.Pow(Options.Beta1, StepCount);
        double biasCorrection2 = 1 - Math.Pow(Options.Beta2, StepCount);
        float negStepSize = (float)-(lr / biasCorrection1);
        float biasCorrection2Sqrt = (float)Math.Sqrt(biasCorrection2);
        float eps = (float)Options.Eps;
        float decay = (float)(1 - lr * wdValue);
        float wd = (float)wdValue;
        bool amsgrad = Options.Amsgrad;
        for (int i = 0; i < p.Length; i++)
        {
            float g = grad[i];
            if (Decoupled)
                p[i] *= decay;
            else if (wd != 0)
                g += wd * p[i];
            float m = expAvg[i] = expAvg[i] * beta1 + oneMinusBeta1 * g;
            float v = expAvgSq[i] = expAvgSq[i] * beta2 + oneMinusBeta2 * (g * g);
            if (amsgrad)
                v = maxExpAvgSq[i] = MathF.Max(maxExpAvgSq[i], v);
            float denom = MathF.Sqrt(v) / biasCorrection2Sqrt + eps;
            p[i] += negStepSize * (m / denom);
        }
    }
}
