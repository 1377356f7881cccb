namespace Baton.Training;

/// <summary>
/// Reported to <see cref="Trainer.Progress"/> after every step. <see cref="ValidationLoss"/> is set on validation steps only;
/// losses are mean nats per token (lm, classify) or the regression loss (forecast).
/// </summary>
internal sealed record TrainingProgress(long Step, long MaxSteps, double Loss, double? ValidationLoss, double LearningRate,
    double GradientNorm, double TokensPerSecond, TimeSpan Elapsed, TimeSpan Remaining);
