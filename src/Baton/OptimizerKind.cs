namespace Baton;

/// <summary>
/// The optimizer of <see cref="RecurrentModel.Fit"/>, each PyTorch's <c>torch.optim</c> update with its default
/// hyper-parameters (θ parameters, g gradient, η learning rate, t step).
/// </summary>
public enum OptimizerKind
{
    /// <summary>
    /// <c>Adam</c>: m = 0.9m + 0.1g, v = 0.999v + 0.001g², θ −= η · (m / (1 − 0.9ᵗ)) / (√(v / (1 − 0.999ᵗ)) + 1e-8);
    /// g += λθ first when <see cref="FitOptions.WeightDecay"/> λ &gt; 0.
    /// </summary>
    Adam,

    /// <summary><c>AdamW</c>: θ −= ηλθ (λ = <see cref="FitOptions.WeightDecay"/>, default 0.01), then Adam's update without decay.</summary>
    AdamW,

    /// <summary><c>SGD</c>: θ −= η(g + λθ).</summary>
    Sgd,

    /// <summary><c>RMSprop</c>: v = 0.99v + 0.01g², θ −= η · g / (√v + 1e-8).</summary>
    RmsProp,
}
