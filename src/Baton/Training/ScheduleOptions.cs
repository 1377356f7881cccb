namespace Baton.Training;

/// <summary>Which learning-rate schedule and its settings. Stored in checkpoints.</summary>
internal sealed record ScheduleOptions
{
    /// <summary><c>constant</c>, <c>step</c> or <c>cosine</c>.</summary>
    public string Kind { get; init; } = "constant";

    /// <summary>Step decay: the rate is multiplied by <see cref="Gamma"/> every StepSize steps.</summary>
    public int StepSize { get; init; } = 1000;

    /// <summary>Step decay factor.</summary>
    public double Gamma { get; init; } = 0.1;

    /// <summary>Cosine: linear warm-up steps.</summary>
    public int WarmupSteps { get; init; }

    /// <summary>Cosine: warm-up starts at this fraction of the base rate (PyTorch LinearLR's start_factor).</summary>
    public double WarmupStartFactor { get; init; } = 0.1;

    /// <summary>Cosine: total steps (0 = the trainer's max steps).</summary>
    public int TotalSteps { get; init; }

    /// <summary>Cosine: final learning rate (PyTorch's eta_min).</summary>
    public double MinLearningRate { get; init; }
}
