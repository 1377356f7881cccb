namespace Baton.Training;

/// <summary>
/// A learning-rate schedule as a pure function of the step, so that its whole state in a checkpoint is the step count.
/// <see cref="At"/>(s) is the rate of the update that follows s completed updates (PyTorch: the lr after s calls to
/// scheduler.step()).
/// </summary>
internal sealed class LearningRateSchedule
{
    /// <summary>Creates the schedule of <paramref name="options"/> around <paramref name="baseRate"/>; <paramref name="maxSteps"/> fills a cosine TotalSteps of 0.</summary>
    public LearningRateSchedule(ScheduleOptions options, double baseRate, long maxSteps)
    {
        ArgumentNullException.ThrowIfNull(options);
        Options = options;
        BaseRate = baseRate;
        TotalSteps = options.TotalSteps > 0 ? options.TotalSteps : maxSteps;
        switch (options.Kind)
        {
            case "constant":
                break;
            case "step":
                if (options.StepSize < 1)
                    throw new ArgumentOutOfRangeException(nameof(options), "schedule step_size must be at least 1.");
                break;
            case "cosine":
                if (options.WarmupSteps < 0 || options.WarmupSteps >= TotalSteps)
                    throw new ArgumentOutOfRangeException(nameof(options), $"warm-up steps {options.WarmupSteps} must be in [0, total steps {TotalSteps}).");
                if (!(options.WarmupStartFactor > 0 && options.WarmupStartFactor <= 1))
                    throw new ArgumentOutOfRangeException(nameof(options), "warm-up start factor must be in (0, 1].");
                break;
            default:
                throw new ArgumentException($"Unknown schedule '{options.Kind}' (constant, step, cosine).", nameof(options));
        }
    }

    /// <summary>The settings.</summary>
    public ScheduleOptions Options { get; }

    /// <summary>The base learning rate.</summary>
    public double BaseRate { get; }

    /// <summary>Cosine horizon N.</summary>
    public long TotalSteps { get; }

    /// <summary>
    /// constant: lr. step: lr·γ^⌊s / step_size⌋ (StepLR). cosine with W warm-up steps and N total:
    /// s &lt; W: lr·(f + (1 − f)·s/W) (LinearLR, start factor f); s ≥ W: η + (lr − η)·(1 + cos(π·min(s − W, N − W)/(N − W)))/2
    /// (CosineAnnealingLR, T_max = N − W, eta_min = η; SequentialLR with milestone W).
    /// </summary>
    public double At(long step)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(step);
        var o = Options;
        switch (o.Kind)
        {
            case "step":
                return BaseRate * Math.Pow(o.Gamma, step / o.StepSize);
            case "cosine":
                if (step < o.WarmupSteps)
                    return BaseRate * (o.WarmupStartFactor + (1 - o.WarmupStartFactor) * step / o.WarmupSteps);
                double span = TotalSteps - o.WarmupSteps;
                double t = Math.Min(step - o.WarmupSteps, span);
                return o.MinLearningRate + (BaseRate - o.MinLearningRate) * (1 + Math.Cos(Math.PI * t / span)) / 2;
            default:
                return BaseRate;
        }
    }
}
