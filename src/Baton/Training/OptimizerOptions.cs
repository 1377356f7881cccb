namespace Baton.Training;

/// <summary>Which optimizer and its hyper-parameters (PyTorch's names and defaults). Stored in checkpoints.</summary>
internal sealed record OptimizerOptions
{
    /// <summary><c>sgd</c>, <c>adam</c>, <c>adamw</c> or <c>rmsprop</c>.</summary>
    public string Kind { get; init; } = "adam";

    /// <summary>Base learning rate (a schedule scales it).</summary>
    public double LearningRate { get; init; } = 2e-3;

    /// <summary>L2 penalty (SGD, Adam, RMSprop: added to the gradient) or decoupled decay (AdamW). Null = PyTorch's default: 0, or 0.01 for AdamW.</summary>
    public double? WeightDecay { get; init; }

    /// <summary>Momentum (SGD, RMSprop).</summary>
    public double Momentum { get; init; }

    /// <summary>Dampening (SGD).</summary>
    public double Dampening { get; init; }

    /// <summary>Nesterov momentum (SGD).</summary>
    public bool Nesterov { get; init; }

    /// <summary>β₁ (Adam, AdamW).</summary>
    public double Beta1 { get; init; } = 0.9;

    /// <summary>β₂ (Adam, AdamW).</summary>
    public double Beta2 { get; init; } = 0.999;

    /// <summary>ε (Adam, AdamW, RMSprop).</summary>
    public double Eps { get; init; } = 1e-8;

    /// <summary>AMSGrad variant (Adam, AdamW).</summary>
    public bool Amsgrad { get; init; }

    /// <summary>Smoothing constant α (RMSprop).</summary>
    public double Alpha { get; init; } = 0.99;

    /// <summary>Centered RMSprop (normalise by the variance estimate).</summary>
    public bool Centered { get; init; }

    /// <summary>The weight decay actually applied.</summary>
    public double EffectiveWeightDecay => WeightDecay ?? (Kind == "adamw" ? 1e-2 : 0.0);
}
